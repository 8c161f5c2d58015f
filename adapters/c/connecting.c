/* Connecting (protocol 1.5, §6 "Readiness and connects"): tcp.connect on an existing handle,
 * a connect left pending (EINPROGRESS), and udp.disconnect (connect to AF_UNSPEC). */
#include "adapter.h"

static json_t *names(long handle, int with_peer, json_t *pending, Error *e) {
    json_t *local = name_json(table[handle].fd, 0, e);
    if (!local) return json_decref(pending), NULL;
    json_t *result = json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
    if (with_peer) {
        json_t *peer = name_json(table[handle].fd, 1, e);
        if (!peer) return json_decref(result), json_decref(pending), NULL;
        json_object_set_new(result, "peer", peer);
    }
    if (pending) json_object_set_new(result, "pending", pending);
    return result;
}

/* tcp.connect with `handle` and/or `pending` (tcp.c hands such requests here). */
json_t *connect_15(json_t *args, Error *e) {
    int family, fresh = 0;
    long handle;
    double timeout;
    Address to;
    json_t *pending_arg = json_object_get(args, "pending"), *bind_args = json_object_get(args, "bind");
    if (pending_arg && !json_is_null(pending_arg) && !json_is_boolean(pending_arg))
        return fail(e, "BADREQUEST", "pending must be a bool");
    int pending = json_is_true(pending_arg);
    if (bind_args && !json_is_null(bind_args) && !json_is_object(bind_args))
        return fail(e, "BADREQUEST", "bind must be an address object");
    if (arg_family(args, &family, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (address_arg(args, family, &to, e) < 0) return NULL;
    if (json_object_get(args, "handle")) {
        if (!arg_socket(args, &handle, e)) return NULL;
    } else {
        if (new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
        fresh = 1;
    }
    Sock *s = &table[handle];
    if (json_is_object(bind_args) && bind_to(s, bind_args, e) < 0) return fresh ? discard(handle) : NULL;
    if (connect(s->fd, (struct sockaddr *)&to.ss, to.len) < 0) {
        if (errno != EINPROGRESS) return fresh ? discard_failing(handle, e, "connect") : fail_errno(e, errno, "connect");
        if (pending) return names(handle, 0, json_true(), e);
        if (timeout == 0) {
            if (fresh) discard(handle);
            return fail(e, "EINPROGRESS", "connect: in progress");
        }
        if (wait_ready(s->fd, POLLOUT, timeout, now() + timeout, "connect", e) < 0) return fresh ? discard(handle) : NULL;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            if (fresh) discard(handle);
            return fail_errno(e, err, "connect");
        }
    }
    return names(handle, 1, pending ? json_false() : NULL, e);
}

json_t *op_udp_disconnect(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (!s) return NULL;
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    if (connect(s->fd, &unspec, sizeof unspec) < 0) return fail_errno(e, errno, "connect AF_UNSPEC");
    return json_object();
}
