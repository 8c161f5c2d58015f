/* Datagram (UDP) operations: udp.bind, udp.connect, udp.sendto, udp.recvfrom. */
#include "adapter.h"

json_t *op_udp_bind(json_t *args, Error *e) {
    int family;
    long handle;
    if (arg_family(args, &family, e) < 0 || new_socket(args, family, SOCK_DGRAM, &handle, e) < 0) return NULL;
    if (bind_to(&table[handle], args, e) < 0) return discard(handle);
    json_t *local = name_json(table[handle].fd, 0, e);
    if (!local) return discard(handle);
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

json_t *op_udp_connect(json_t *args, Error *e) {
    Address to;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || address_arg(args, s->family, &to, e) < 0) return NULL;
    if (connect(s->fd, (struct sockaddr *)&to.ss, to.len) < 0) return fail_errno(e, errno, "connect");
    json_t *local = name_json(s->fd, 0, e), *peer = local ? name_json(s->fd, 1, e) : NULL;
    if (!peer) return json_decref(local), NULL;
    return json_pack("{s:o, s:o}", "local", local, "peer", peer);
}

json_t *op_udp_sendto(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    Address to;
    int addressed = json_object_get(args, "host") && !json_is_null(json_object_get(args, "host"));
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (addressed && address_arg(args, s->family, &to, e) < 0) return NULL;
    int dontwait; /* 1.5: MSG_DONTWAIT, one attempt */
    if (arg_flag(args, "dontwait", &dontwait, e) < 0 || b64_arg(args, &data, &len, e) < 0) return NULL;
    int flags = MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0);
    if (dontwait) timeout = 0;
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = addressed ? sendto(s->fd, data, len, flags, (struct sockaddr *)&to.ss, to.len)
                              : send(s->fd, data, len, flags);
        if (n >= 0) {
            free(data);
            return json_pack("{s:I}", "sent", (json_int_t)n);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            free(data);
            return fail_errno(e, errno, addressed ? "sendto" : "send");
        }
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "sendto", e) < 0) {
            free(data);
            return NULL;
        }
    }
}

json_t *op_udp_recvfrom(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 0, 1, &max, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    static const char *const flags[] = {"peek", "trunc", "dontwait", "blocking", NULL};
    if (any_flag(args, flags)) return udp_recvfrom_flags(s, args, (size_t)max, timeout, e); /* 1.5: flags.c */
    unsigned char *buffer = malloc((size_t)max + 1);
    if (!buffer) return fail(e, "ENOMEM", "recvfrom: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        struct sockaddr_storage from;
        struct iovec iov = {buffer, (size_t)max};
        struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(s->fd, &msg, 0);
        if (n >= 0) {
            json_t *result = json_pack("{s:o, s:o, s:b}", "data", b64_json(buffer, (size_t)n), "peer",
                                       address_json(&from), "truncated", (msg.msg_flags & MSG_TRUNC) != 0);
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            free(buffer);
            return fail_errno(e, errno, "recvmsg");
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvfrom", e) < 0) {
            free(buffer);
            return NULL;
        }
    }
}
