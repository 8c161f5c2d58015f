/* Stream (TCP) operations: tcp.listen, tcp.socket, tcp.connect, tcp.accept, stream.*. */
#include "adapter.h"

json_t *op_tcp_listen(json_t *args, Error *e) {
    int family;
    long handle;
    long long backlog;
    if (arg_family(args, &family, e) < 0 || arg_int(args, "backlog", 128, 0, &backlog, e) < 0) return NULL;
    if (new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    Sock *s = &table[handle];
    if (bind_to(s, args, e) < 0) return discard(handle);
    if (listen(s->fd, (int)backlog) < 0) return discard_failing(handle, e, "listen");
    json_t *local = name_json(s->fd, 0, e);
    if (!local) return discard(handle);
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

json_t *op_tcp_socket(json_t *args, Error *e) {
    int family;
    long handle;
    if (arg_family(args, &family, e) < 0 || new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    return json_pack("{s:I}", "handle", (json_int_t)handle);
}

static json_t *connection_json(long handle, Error *e) {
    json_t *local = name_json(table[handle].fd, 0, e), *peer = local ? name_json(table[handle].fd, 1, e) : NULL;
    if (!peer) {
        json_decref(local);
        return NULL;
    }
    return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)handle, "local", local, "peer", peer);
}

json_t *op_tcp_connect(json_t *args, Error *e) {
    if (json_object_get(args, "handle") || json_is_true(json_object_get(args, "pending")))
        return connect_15(args, e); /* 1.5: connecting.c */
    int family;
    long handle;
    double timeout;
    Address to;
    if (arg_family(args, &family, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (address_arg(args, family, &to, e) < 0) return NULL;
    json_t *bind_args = json_object_get(args, "bind");
    if (bind_args && !json_is_null(bind_args) && !json_is_object(bind_args))
        return fail(e, "BADREQUEST", "bind must be an address object");
    if (new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    Sock *s = &table[handle];
    if (json_is_object(bind_args) && bind_to(s, bind_args, e) < 0) return discard(handle);
    if (connect(s->fd, (struct sockaddr *)&to.ss, to.len) < 0) {
        if (errno != EINPROGRESS) return discard_failing(handle, e, "connect");
        if (timeout == 0) return discard(handle), fail(e, "EINPROGRESS", "connect: in progress");
        double deadline = now() + timeout;
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "connect", e) < 0) return discard(handle);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return discard(handle), fail_errno(e, err, "connect");
    }
    json_t *result = connection_json(handle, e);
    return result ? result : discard(handle);
}

json_t *op_tcp_accept(json_t *args, Error *e) {
    double timeout;
    Sock *listener = arg_socket(args, NULL, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        int fd = accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC); /* the kernel's mode first (1.7 nonblock) */
        if (fd >= 0) {
            int nonblock = accepted_mode(listener, fd);
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); /* the adapter's own waiting */
            long handle = register_socket(fd, listener->family, SOCK_STREAM);
            table[handle].nonblock = nonblock;
            json_t *result = connection_json(handle, e);
            return result ? result : discard(handle);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "accept");
        if (wait_ready(listener->fd, POLLIN, timeout, deadline, "accept", e) < 0) return NULL;
    }
}

json_t *op_stream_send(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len, sent = 0;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || b64_arg(args, &data, &len, e) < 0) return NULL;
    static const char *const flags[] = {"oob", "dontwait", "blocking", NULL};
    if (any_flag(args, flags)) { /* 1.5: flags.c */
        json_t *result = stream_send_flags(s, args, data, len, timeout, e);
        free(data);
        return result;
    }
    double deadline = now() + timeout;
    while (len > 0) {
        ssize_t n = send(s->fd, data + sent, len - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += (size_t)n;
            if (sent == len) break;
            continue; /* keep taking what fits without waiting */
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            if (sent) break;
            free(data);
            return fail_errno(e, errno, "send");
        }
        if (sent) break; /* took some: never wait again */
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "send", e) < 0) {
            free(data);
            return NULL;
        }
    }
    free(data);
    return json_pack("{s:I}", "sent", (json_int_t)sent);
}

json_t *op_stream_recv(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 0, 1, &max, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    static const char *const flags[] = {"peek", "waitall", "oob", "dontwait", "blocking", NULL};
    if (any_flag(args, flags)) return stream_recv_flags(s, args, (size_t)max, timeout, e); /* 1.5: flags.c */
    unsigned char *buffer = malloc((size_t)max);
    if (!buffer) return fail(e, "ENOMEM", "recv: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = recv(s->fd, buffer, (size_t)max, 0);
        if (n >= 0) {
            json_t *result = json_pack("{s:o}", "data", b64_json(buffer, (size_t)n));
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            fail_errno(e, errno, "recv");
            break;
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recv", e) < 0) break;
    }
    free(buffer);
    return NULL;
}

json_t *op_stream_shutdown(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *how = s ? arg_str(args, "how", e) : NULL;
    if (!how) return NULL;
    int mode = strcmp(how, "read") == 0 ? SHUT_RD : strcmp(how, "write") == 0 ? SHUT_WR
             : strcmp(how, "both") == 0 ? SHUT_RDWR : -1;
    if (mode < 0) return fail(e, "BADREQUEST", "unknown shutdown direction '%s'", how);
    if (shutdown(s->fd, mode) < 0) return fail_errno(e, errno, "shutdown");
    return json_object();
}

json_t *op_stream_abort(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (!s) return NULL;
    struct linger reset = {1, 0}; /* close(2) then discards unsent data and sends RST */
    if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset) < 0) return fail_errno(e, errno, "setsockopt");
    close(s->fd);
    s->fd = -1;
    return json_object();
}
