/* Raw sockets and ICMP (protocol 1.1): raw.open, raw.send, raw.recv. */
#include "adapter.h"

json_t *op_raw_open(json_t *args, Error *e) {
    int family;
    if (arg_family(args, &family, e) < 0) return NULL;
    const char *protocol = arg_str(args, "protocol", e);
    if (!protocol) return NULL;
    if (strcmp(protocol, family == AF_INET ? "icmp" : "icmpv6") != 0)
        return fail(e, "BADREQUEST", "protocol must be %s for this family", family == AF_INET ? "icmp" : "icmpv6");
    json_t *kind_value = json_object_get(args, "kind");
    const char *kind = json_is_string(kind_value) ? json_string_value(kind_value) : "raw";
    int type = strcmp(kind, "raw") == 0 ? SOCK_RAW : strcmp(kind, "ping") == 0 ? SOCK_DGRAM : -1;
    if (type < 0) return fail(e, "BADREQUEST", "kind is 'raw' or 'ping'");
    json_t *options = json_object_get(args, "options");
    if (options && !json_is_null(options) && !json_is_object(options))
        return fail(e, "BADREQUEST", "options must be an object");
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (fd < 0) return fail_errno(e, errno, "socket");
    long handle = register_socket(fd, family, type);
    const char *name;
    json_t *value;
    json_object_foreach(options, name, value) {
        if (set_option(&table[handle], name, value, e) < 0) return discard(handle);
    }
    return json_pack("{s:I}", "handle", (json_int_t)handle);
}

json_t *op_raw_send(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    Address to;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    const char *host = arg_str(args, "host", e);
    if (!host || make_address(s->family, host, 0, &to, e) < 0) return NULL;
    if (b64_arg(args, &data, &len, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = sendto(s->fd, data, len, 0, (struct sockaddr *)&to.ss, to.len);
        if (n >= 0) {
            free(data);
            return json_pack("{s:I}", "sent", (json_int_t)n);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno) || wait_ready(s->fd, POLLOUT, timeout, deadline, "sendto", e) < 0) {
            if (!WOULD_BLOCK(errno) && !e->code) fail_errno(e, errno, "sendto");
            free(data);
            return NULL;
        }
    }
}

json_t *op_raw_recv(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 65535, 0, &max, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    unsigned char *buffer = malloc((size_t)max);
    if (!buffer) return fail(e, "ENOMEM", "recvfrom: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(s->fd, buffer, (size_t)max, 0, (struct sockaddr *)&from, &from_len);
        if (n >= 0) {
            json_t *peer = address_json(&from);
            json_object_set_new(peer, "port", json_integer(0));
            json_t *result = json_pack("{s:o, s:o}", "data", b64_json(buffer, (size_t)n), "peer", peer);
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            fail_errno(e, errno, "recvfrom");
            break;
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvfrom", e) < 0) break;
    }
    free(buffer);
    return NULL;
}
