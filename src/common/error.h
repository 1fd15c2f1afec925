/* error.h - the project's error codes and their HTTP mapping. */
#ifndef AR_ERROR_H
#define AR_ERROR_H

/*
 * Every layer returns one of these. Only the HTTP handlers turn them into a
 * status and an SME error type, through ar_err_status() and ar_err_type().
 */
enum ar_err {
	AR_OK = 0,
	AR_EINVAL,	/* 400 illegal_argument_exception */
	AR_EPARSE,	/* 400 parse_exception: body is not JSON / not an object */
	AR_EQUERY,	/* 400 query_parsing_exception */
	AR_EAUTH,	/* 401 security_exception */
	AR_ENOTFOUND,	/* 404 resource_not_found_exception */
	AR_EMETHOD,	/* 405 method_not_allowed */
	AR_ESTATE,	/* 409 status_exception: wrong task state */
	AR_ETOOBIG,	/* 413 request_entity_too_large */
	AR_EBUSY,	/* 429 too_many_requests */
	AR_EINTERNAL,	/* 500 internal_error */
	AR_ENOTIMPL,	/* 501 not_implemented */
	AR_EFULL,	/* 503 unavailable: storage full */
	AR_EUNAVAIL,	/* 503 unavailable: runner not running */
	AR_ENOMEM,	/* 500 internal_error (out of memory) */
	AR_ELOST,	/* task lost its claim: another party changed its state */
	AR_EFORBIDDEN,	/* 403 security_exception: refused (CSRF check, a user
			 * name that is not valid UTF-8) */
	AR_EMEDIA,	/* 415 unsupported_media_type: body not JSON typed */
	AR__COUNT
};

/* Returns the HTTP status of an error code. */
int ar_err_status(enum ar_err);
/* Returns the SME error type string (static storage) of an error code. */
const char *ar_err_type(enum ar_err);
/* Returns the HTTP reason phrase (static storage) of an HTTP status. */
const char *ar_http_reason(int status);

#endif
