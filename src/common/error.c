/* error.c - the single table mapping project errors to HTTP and SME types. */
#include "common/error.h"

static const struct {
	int status;
	const char *type;
} err_table[AR__COUNT] = {
	[AR_OK] = {200, "ok"},
	[AR_EINVAL] = {400, "illegal_argument_exception"},
	[AR_EPARSE] = {400, "parse_exception"},
	[AR_EQUERY] = {400, "query_parsing_exception"},
	[AR_EAUTH] = {401, "security_exception"},
	[AR_ENOTFOUND] = {404, "resource_not_found_exception"},
	[AR_EMETHOD] = {405, "method_not_allowed"},
	[AR_ESTATE] = {409, "status_exception"},
	[AR_ETOOBIG] = {413, "request_entity_too_large"},
	[AR_EBUSY] = {429, "too_many_requests"},
	[AR_EINTERNAL] = {500, "internal_error"},
	[AR_ENOTIMPL] = {501, "not_implemented"},
	[AR_EFULL] = {503, "unavailable"},
	[AR_EUNAVAIL] = {503, "unavailable"},
	[AR_ENOMEM] = {500, "internal_error"},
	[AR_ELOST] = {409, "status_exception"},
	[AR_EFORBIDDEN] = {403, "security_exception"},
	[AR_EMEDIA] = {415, "unsupported_media_type"},
};

int
ar_err_status(enum ar_err e)
{
	if ((int)e < 0 || e >= AR__COUNT)
		return 500;
	return err_table[e].status;
}

const char *
ar_err_type(enum ar_err e)
{
	if ((int)e < 0 || e >= AR__COUNT)
		return "internal_error";
	return err_table[e].type;
}

const char *
ar_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}
