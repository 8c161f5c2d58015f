/* Errors: the protocol's codes, and libuv's UV_E* codes as errno names (docs/protocol.md §2.2). */
#include "adapter.h"

#include <stdarg.h>

static json_t *vfail(Error *e, const char *code, int supplied, const char *fmt, va_list ap) {
    e->code = code;
    e->supplied = supplied;
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    return NULL;
}

json_t *fail(Error *e, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, 0, fmt, ap);
    va_end(ap);
    return NULL;
}

json_t *supply(Error *e, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, 1, fmt, ap);
    va_end(ap);
    return NULL;
}

/* On Unix libuv's UV_E* codes are the negated errno (UV__ERR), and uv_err_name gives the errno's
 * name. The protocol wants the canonical name where two share a value: libuv calls
 * -EOPNOTSUPP "ENOTSUP". Codes of libuv's own (UV_EOF, UV_EAI_*) have no errno: they are
 * answered as libuv names them (never expected by the suite). */
const char *uv_errno_name(int uv_error) {
    if (uv_error == UV_ENOTSUP) return "EOPNOTSUPP";
    if (uv_error == UV_EAGAIN) return "EAGAIN";
    return uv_err_name(uv_error);
}

json_t *fail_uv(Error *e, int uv_error, const char *context) {
    return fail(e, uv_errno_name(uv_error), "%s: %s", context, uv_strerror(uv_error));
}
