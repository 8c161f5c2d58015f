/* TCP: tcp.listen, tcp.socket, tcp.connect, tcp.accept with uv_tcp_init_ex, uv_tcp_bind,
 * uv_listen, uv_tcp_connect, uv_accept. */
#include "adapter.h"

#include <limits.h>

/* A TCP handle with its socket made at once (uv_tcp_init_ex with the family), so that options
 * can be applied before bind. NULL with *e set if libuv refused. */
static Entry *new_tcp(int family, json_t *args, unsigned *bind_flags, Error *e) {
    Entry *en = entry_new(K_TCP, family);
    int r = uv_tcp_init_ex(loop, &en->u.tcp, (unsigned)family);
    if (r < 0) {
        free(en); /* never initialised: nothing for uv_close */
        return fail_uv(e, r, "uv_tcp_init_ex"), NULL;
    }
    if (apply_options(en, args, bind_flags, e) < 0) return entry_discard(en), NULL;
    return en;
}

json_t *op_tcp_listen(json_t *args, Error *e) {
    int family;
    long long backlog;
    unsigned flags = 0;
    struct sockaddr_storage at;
    if (arg_family(args, &family, e) < 0 || arg_int(args, "backlog", 128, 0, &backlog, e) < 0) return NULL;
    if (address_arg(args, family, &at, e) < 0) return NULL;
    if (backlog > INT_MAX) backlog = INT_MAX;
    if (backlog < INT_MIN) backlog = INT_MIN;
    Entry *en = new_tcp(family, args, &flags, e);
    if (!en) return NULL;
    int r = uv_tcp_bind(&en->u.tcp, (struct sockaddr *)&at, flags);
    if (r < 0) return discard_with(en, e, r, "uv_tcp_bind");
    r = uv_listen(&en->u.stream, (int)backlog, on_connection);
    if (r < 0) return discard_with(en, e, r, "uv_listen");
    en->listening = 1;
    json_t *local = entry_name(en, 0, e);
    if (!local) return entry_discard(en), NULL;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)entry_register(en), "local", local);
}

json_t *op_tcp_socket(json_t *args, Error *e) {
    int family;
    if (arg_family(args, &family, e) < 0) return NULL;
    Entry *en = new_tcp(family, args, NULL, e);
    if (!en) return NULL;
    return json_pack("{s:I}", "handle", (json_int_t)entry_register(en));
}

static void on_connect(uv_connect_t *req, int status) {
    Entry *en = req->handle->data;
    en->cdone = 1;
    en->cstatus = status;
}

/* Waits for a connect started on en (TCP or pipe) and answers the connection, or fails. */
json_t *finish_connect(Entry *en, double timeout, Error *e) {
    if (!run_until(&en->cdone, timeout)) {
        entry_discard(en);
        if (timeout == 0) /* libuv connects asynchronously: its callback did not come in one turn */
            return supply(e, "EINPROGRESS", "connect: not completed in one turn of the loop");
        return fail(e, "ETIMEDOUT", "connect: timed out after %g s", timeout);
    }
    if (en->cstatus < 0) return discard_with(en, e, en->cstatus, "connect");
    entry_register(en);
    json_t *result = stream_connection_json(en, e);
    if (!result) entry_close(en);
    return result;
}

/* tcp.connect with handle (1.5, tcp.connect-handle): uv_tcp_connect on a uv_tcp_t the user
 * already has (tcp.socket, or one that connected or failed to before), as a libuv program
 * calls it after uv_tcp_init. libuv answers UV_EALREADY itself while its connect request is in
 * flight; everything else is the kernel's connect(2) (EISCONN). A failure leaves the handle
 * open. */
static json_t *connect_existing(json_t *args, struct sockaddr_storage *to, struct sockaddr_storage *from,
                                double timeout, Error *e) {
    unsigned flags = 0;
    Entry *en = arg_socket(args, e);
    if (!en) return NULL;
    if (en->kind != K_TCP) return supply(e, "EOPNOTSUPP", "handle %ld is not a TCP socket", en->id);
    if (apply_options(en, args, &flags, e) < 0) return NULL;
    int r;
    if (from && (r = uv_tcp_bind(&en->u.tcp, (struct sockaddr *)from, flags)) < 0) return fail_uv(e, r, "uv_tcp_bind");
    en->cdone = 0;
    r = uv_tcp_connect(&en->creq, &en->u.tcp, (struct sockaddr *)to, on_connect);
    if (r < 0) return fail_uv(e, r, "uv_tcp_connect");
    if (!run_until(&en->cdone, timeout)) {
        /* the request stays libuv's: its callback will come, and a new connect meanwhile is
         * libuv's UV_EALREADY */
        if (timeout == 0) return supply(e, "EINPROGRESS", "connect: not completed in one turn of the loop");
        return fail(e, "ETIMEDOUT", "connect: timed out after %g s", timeout);
    }
    if (en->cstatus < 0) return fail_uv(e, en->cstatus, "connect");
    return stream_connection_json(en, e);
}

json_t *op_tcp_connect(json_t *args, Error *e) {
    int family;
    double timeout;
    unsigned flags = 0;
    struct sockaddr_storage to, from;
    if (arg_family(args, &family, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (address_arg(args, family, &to, e) < 0) return NULL;
    json_t *bind = json_object_get(args, "bind");
    if (bind && !json_is_null(bind) && !json_is_object(bind)) return fail(e, "BADREQUEST", "bind must be an address object");
    if (json_is_object(bind) && address_arg(bind, family, &from, e) < 0) return NULL;
    json_t *existing = json_object_get(args, "handle");
    if (existing && !json_is_null(existing)) return connect_existing(args, &to, json_is_object(bind) ? &from : NULL, timeout, e);
    Entry *en = new_tcp(family, args, &flags, e);
    if (!en) return NULL;
    int r;
    if (json_is_object(bind) && (r = uv_tcp_bind(&en->u.tcp, (struct sockaddr *)&from, flags)) < 0)
        return discard_with(en, e, r, "uv_tcp_bind");
    r = uv_tcp_connect(&en->creq, &en->u.tcp, (struct sockaddr *)&to, on_connect);
    if (r < 0) return discard_with(en, e, r, "uv_tcp_connect");
    return finish_connect(en, timeout, e);
}

json_t *op_tcp_accept(json_t *args, Error *e) {
    double timeout;
    Entry *listener = arg_socket(args, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (listener->kind != K_TCP) return supply(e, "EOPNOTSUPP", "handle %ld is not a TCP socket", listener->id);
    Entry *conn = entry_new(K_TCP, listener->family);
    uv_tcp_init(loop, &conn->u.tcp);
    return stream_accept(listener, conn, timeout, e);
}
