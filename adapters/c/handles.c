/* The handle table (handles are never reused), creating sockets, reset and close. */
#include "adapter.h"

Sock *table;
long next_handle = 1;
static long table_size;

long register_socket(int fd, int family, int type) {
    if (next_handle >= table_size) {
        long grown = table_size ? table_size * 2 : 256;
        table = realloc(table, (size_t)grown * sizeof *table);
        if (!table) abort();
        for (long i = table_size; i < grown; i++) table[i].fd = -1;
        table_size = grown;
    }
    table[next_handle] = (Sock){.fd = fd, .family = family, .type = type};
    return next_handle++;
}

/* Closes a handle: a socket, or a server with everything it holds. */
void close_handle(Sock *s, long *sessions) {
    if (s->sctp) {
        sctp_close_handle(s); /* sctp.c: the stack closes its socket (and fd) */
    } else if (s->server) {
        server_stop(s->server, sessions);
        s->server = NULL;
    } else {
        close(s->fd);
    }
    s->fd = -1;
}

/* reset (§5): an orderly close of everything that never waits. A socket whose linger option
 * is on would make close(2) wait for its unsent data (or, at zero seconds, send RST), so
 * linger is turned off first; then close(2) returns at once and the peer gets FIN. */
void close_all(void) {
    struct linger off = {0, 0};
    for (long i = 1; i < next_handle; i++) {
        if (table[i].fd < 0) continue;
        if (!table[i].server && !table[i].sctp && table[i].type == SOCK_STREAM)
            setsockopt(table[i].fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
        close_handle(&table[i], NULL);
    }
}

/* Any open handle: a socket or a server. */
Sock *arg_handle(json_t *args, long *handle_out, Error *e) {
    long long handle;
    if (arg_int(args, "handle", 0, 1, &handle, e) < 0) return NULL;
    if (handle <= 0 || handle >= next_handle || table[handle].fd < 0)
        return fail(e, "EBADF", "no open handle %lld", handle), NULL;
    if (handle_out) *handle_out = (long)handle;
    return &table[handle];
}

/* An open socket handle: a server's socket belongs to its thread. */
Sock *arg_socket(json_t *args, long *handle_out, Error *e) {
    Sock *s = arg_handle(args, handle_out, e);
    if (s && s->server) return supply(e, "ENOTSOCK", "handle %lld is an echo server, not a socket",
                                    (long long)(s - table)), NULL;
    return s;
}

/* ---- creating sockets ------------------------------------------------------------------ */

/* Creates a non-blocking socket with the request's options applied, in order. */
int new_socket(json_t *args, int family, int type, long *handle, Error *e) {
    json_t *options = json_object_get(args, "options");
    if (options && !json_is_null(options) && !json_is_object(options))
        return fail(e, "BADREQUEST", "options must be an object"), -1;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno(e, errno, "socket"), -1;
    *handle = register_socket(fd, family, type);
    const char *name;
    json_t *value;
    json_object_foreach(options, name, value) {
        if (set_option(&table[*handle], name, value, e) < 0) {
            close(fd);
            table[*handle].fd = -1;
            return -1;
        }
    }
    return fd;
}

int bind_to(Sock *s, json_t *address_args, Error *e) {
    Address a;
    if (address_arg(address_args, s->family, &a, e) < 0) return -1;
    if (bind(s->fd, (struct sockaddr *)&a.ss, a.len) < 0) return fail_errno(e, errno, "bind"), -1;
    return 0;
}

/* Drops a socket created for a request that then failed. */
json_t *discard(long handle) {
    int saved = errno;
    close(table[handle].fd);
    table[handle].fd = -1;
    errno = saved;
    return NULL;
}

/* Drops it and reports the system error that made the request fail. */
json_t *discard_failing(long handle, Error *e, const char *context) {
    int err = errno;
    discard(handle);
    return fail_errno(e, err, context);
}

/* ---- reset, close ---------------------------------------------------------------------- */

json_t *op_reset(json_t *args, Error *e) {
    (void)args, (void)e;
    close_all();
    return json_object();
}

json_t *op_close(json_t *args, Error *e) {
    Sock *s = arg_handle(args, NULL, e);
    if (!s) return NULL;
    close_handle(s, NULL);
    return json_object();
}
