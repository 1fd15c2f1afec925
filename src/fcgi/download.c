/* download.c - POST file_download/{id} (placeholder until the exports land). */
#include "common/error.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"

void
handle_download(struct app *ap, struct req *r, const char *id)
{
	(void)ap;
	(void)id;
	req_error(r, AR_ENOTIMPL, "file_download is not implemented in this "
	    "version", NULL);
}
