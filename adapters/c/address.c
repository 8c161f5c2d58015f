/* Addresses: numeric host and port <-> sockaddr, addr.local, addr.peer. */
#include "adapter.h"

/* Numeric hosts only: an adapter must never resolve names. */
int make_address(int family, const char *host, long long port, Address *a, Error *e) {
    memset(a, 0, sizeof *a);
    if (port < 0 || port > 65535) return fail(e, "EINVAL", "port out of range: %lld", port), -1;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv4 address: '%s'", host), -1;
        a->len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv6 address: '%s'", host), -1;
        a->len = sizeof *in6;
    }
    return 0;
}

int address_arg(json_t *args, int family, Address *a, Error *e) {
    const char *host = arg_str(args, "host", e);
    long long port;
    if (!host || arg_int(args, "port", 0, 0, &port, e) < 0) return -1;
    return make_address(family, host, port, a, e);
}

json_t *address_json(const struct sockaddr_storage *ss) {
    char text[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        port = ntohs(in6->sin6_port);
    }
    return json_pack("{s:s, s:i}", "host", text, "port", port);
}

json_t *name_json(int fd, int peer, Error *e) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
        return fail_errno(e, errno, peer ? "getpeername" : "getsockname");
    if (ss.ss_family == AF_UNIX) return unix_address_json(&ss, len);
    return address_json(&ss);
}

json_t *op_addr_local(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    return s ? name_json(s->fd, 0, e) : NULL;
}

json_t *op_addr_peer(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    return s ? name_json(s->fd, 1, e) : NULL;
}
