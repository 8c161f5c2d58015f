/* Unix-domain stream sockets (protocol 1.4) with libuv's pipes, which are AF_UNIX SOCK_STREAM
 * sockets: unix.listen (uv_pipe_bind, uv_listen), unix.accept (uv_accept), unix.connect
 * (uv_pipe_connect), unix.socketpair (uv_socketpair, uv_pipe_open), unix.unlink (uv_fs_unlink).
 * libuv 1.44 has no datagram or seqpacket pipes, no abstract names (uv_pipe_bind2 is 1.46),
 * no client bind, no SO_PEERCRED, and passes descriptors only between its own IPC pipes. */
#include "adapter.h"

#include <unistd.h>

static int stream_kind(json_t *args, Error *e) {
    const char *kind = arg_str(args, "kind", e);
    if (!kind) return -1;
    if (!strcmp(kind, "stream")) return 0;
    if (!strcmp(kind, "dgram") || !strcmp(kind, "seqpacket"))
        return fail(e, "UNSUPPORTED", "libuv's pipes are stream sockets: no '%s'", kind), -1;
    return fail(e, "BADREQUEST", "kind is 'stream', 'dgram' or 'seqpacket'"), -1;
}

/* The path of a Unix address; NULL with *e set for what libuv cannot name. */
const char *address_path(json_t *args, const char *member, int for_peer, Error *e) {
    json_t *address = json_object_get(args, member);
    if (!json_is_object(address)) return fail(e, "BADREQUEST", "'%s' must be a Unix address object", member), NULL;
    json_t *path = json_object_get(address, "path");
    if (path && !json_is_null(path)) {
        if (!json_is_string(path)) return fail(e, "BADREQUEST", "'path' must be a string"), NULL;
        return json_string_value(path);
    }
    json_t *abstract = json_object_get(address, "abstract");
    if (abstract && !json_is_null(abstract)) {
        if (!json_is_string(abstract)) return fail(e, "BADREQUEST", "'abstract' must be a string"), NULL;
        return fail(e, "UNSUPPORTED", "libuv 1.44 cannot name abstract sockets (uv_pipe_bind2 is libuv 1.46)"), NULL;
    }
    if (json_is_true(json_object_get(address, "unnamed")))
        return for_peer ? fail(e, "EINVAL", "an unnamed socket is no destination"), NULL : "";
    if (json_is_true(json_object_get(address, "autobind"))) {
        if (for_peer) return fail(e, "EINVAL", "autobind names no peer"), NULL;
        return fail(e, "UNSUPPORTED", "libuv has no autobind (a pipe is bound to a path)"), NULL;
    }
    return fail(e, "BADREQUEST", "a Unix address has 'path', 'abstract' or 'unnamed'"), NULL;
}

static Entry *new_pipe(void) {
    Entry *en = entry_new(K_PIPE, AF_UNIX);
    uv_pipe_init(loop, &en->u.pipe, 0);
    return en;
}

json_t *op_unix_listen(json_t *args, Error *e) {
    long long backlog;
    const char *path;
    if (stream_kind(args, e) < 0 || !(path = address_path(args, "address", 0, e))) return NULL;
    if (arg_int(args, "backlog", 128, 0, &backlog, e) < 0) return NULL;
    if (backlog > 65535) backlog = 65535;
    if (backlog < -1) backlog = -1;
    Entry *en = new_pipe();
    int r;
    /* {"unnamed": true}: no uv_pipe_bind, and uv_listen answers for a pipe without a socket */
    if (*path || json_object_get(json_object_get(args, "address"), "path")) {
        if ((r = uv_pipe_bind(&en->u.pipe, path)) < 0) return discard_with(en, e, r, "uv_pipe_bind");
        if (apply_options(en, args, NULL, e) < 0) return entry_discard(en), NULL; /* a pipe's socket exists from bind on */
    }
    if ((r = uv_listen(&en->u.stream, (int)backlog, on_connection)) < 0) return discard_with(en, e, r, "uv_listen");
    en->listening = 1;
    json_t *local = entry_name(en, 0, e);
    if (!local) return entry_discard(en), NULL;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)entry_register(en), "local", local);
}

json_t *op_unix_accept(json_t *args, Error *e) {
    double timeout;
    Entry *listener = arg_socket(args, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (listener->kind != K_PIPE) return supply(e, "EOPNOTSUPP", "handle %ld is not a Unix stream socket", listener->id);
    return stream_accept(listener, new_pipe(), timeout, e);
}

static void on_connect(uv_connect_t *req, int status) {
    Entry *en = req->handle->data;
    en->cdone = 1;
    en->cstatus = status;
}

json_t *op_unix_connect(json_t *args, Error *e) {
    double timeout;
    const char *path;
    if (stream_kind(args, e) < 0 || !(path = address_path(args, "address", 1, e))) return NULL;
    if (arg_timeout(args, &timeout, e) < 0) return NULL;
    json_t *bind = json_object_get(args, "bind");
    if (bind && !json_is_null(bind))
        return fail(e, "UNSUPPORTED", "libuv 1.44 cannot bind a pipe before it connects: after uv_pipe_bind, "
                                   "uv_pipe_connect leaves the handle neither readable nor writable");
    Entry *en = new_pipe();
    uv_pipe_connect(&en->creq, &en->u.pipe, path, on_connect); /* errors come to the callback */
    json_t *result = finish_connect(en, timeout, e);
    if (result && json_object_get(args, "options") && apply_options(en, args, NULL, e) < 0) {
        json_decref(result);
        entry_close(en);
        return NULL;
    }
    return result;
}

json_t *op_unix_socketpair(json_t *args, Error *e) {
    uv_os_sock_t fds[2];
    if (stream_kind(args, e) < 0) return NULL;
    int r = uv_socketpair(SOCK_STREAM, 0, fds, 0, 0);
    if (r < 0) return fail_uv(e, r, "uv_socketpair");
    Entry *a = new_pipe(), *b = new_pipe();
    int opened = 0;
    if ((r = uv_pipe_open(&a->u.pipe, fds[0])) == 0 && ++opened && (r = uv_pipe_open(&b->u.pipe, fds[1])) == 0) opened++;
    if (r < 0) {
        for (int i = opened; i < 2; i++) close(fds[i]);
        entry_discard(a), entry_discard(b);
        return fail_uv(e, r, "uv_pipe_open");
    }
    long ha = entry_register(a), hb = entry_register(b);
    return json_pack("{s:[I,I]}", "handles", (json_int_t)ha, (json_int_t)hb);
}

json_t *op_unix_unlink(json_t *args, Error *e) {
    json_t *address = json_object_get(args, "address");
    if (!json_is_object(address)) return fail(e, "BADREQUEST", "'address' must be a Unix address object");
    json_t *path = json_object_get(address, "path");
    if (!path || json_is_null(path)) return fail(e, "EINVAL", "only a pathname socket has a file to remove");
    if (!json_is_string(path)) return fail(e, "BADREQUEST", "'path' must be a string");
    uv_fs_t req;
    int r = uv_fs_unlink(loop, &req, json_string_value(path), NULL); /* no callback: synchronous */
    uv_fs_req_cleanup(&req);
    if (r < 0) return fail_uv(e, r, "uv_fs_unlink");
    return json_object();
}
