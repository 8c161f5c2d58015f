/* Errors: the protocol's error codes and errno names (docs/protocol.md §2.2). */
#include "adapter.h"

#include <stdarg.h>

json_t *fail(Error *e, const char *code, const char *fmt, ...) {
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return NULL;
}

const char *errno_name(int err) {
    /* The protocol names EAGAIN (not EWOULDBLOCK) and EOPNOTSUPP (not ENOTSUP). */
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EACCES: return "EACCES";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EALREADY: return "EALREADY";
    case EBADF: return "EBADF";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EINPROGRESS: return "EINPROGRESS";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISCONN: return "EISCONN";
    case EMFILE: return "EMFILE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ESHUTDOWN: return "ESHUTDOWN";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: break;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *name = strerrorname_np(err);
    if (name) return name;
#endif
    return "EIO";
}

json_t *supply(Error *e, const char *code, const char *fmt, ...) {
    va_list ap;
    e->code = code;
    e->supplied = 1;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return NULL;
}

json_t *fail_errno(Error *e, int err, const char *context) {
    return fail(e, errno_name(err), "%s: %s", context, strerror(err));
}
