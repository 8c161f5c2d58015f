/* SCTP (protocol 1.6, docs/protocol.md §6 "SCTP (1.6)"; 1.8: streams, sctp.status and the
 * options sctp_hbinterval, sctp_nodelay): the sctp.* operations, over one stack per process,
 * chosen as the reference chooses: the kernel's SCTP where the kernel has it (sctp_kernel.c),
 * else usrsctp where libusrsctp.so.2 loads (sctp_usrsctp.c), else none (sctp is not declared
 * and every sctp.* answers UNSUPPORTED). */
#include "sctp.h"

static const SctpStack *chosen(void) {
    static int looked;
    static const SctpStack *stack;
    if (!looked) {
        looked = 1;
        stack = sctp_kernel_stack();
        if (!stack) stack = sctp_usrsctp_stack();
    }
    return stack;
}

static const SctpStack *need_stack(Error *e) {
    const SctpStack *stack = chosen();
    if (!stack)
        fail(e, "UNSUPPORTED", "no SCTP: the kernel has none and usrsctp is not installed (Debian: libusrsctp-dev)");
    return stack;
}

void append_sctp_features(json_t *features) {
    if (!chosen()) return;
    static const char *const names[] = {"sctp", "sctp.one-to-many", /* 1.6 */
                                        "sctp.streams", "sctp.status", "opt.sctp_hbinterval", "opt.sctp_nodelay"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) json_array_append_new(features, json_string(names[i]));
}

/* An open handle of an SCTP socket. */
static Sock *arg_sctp(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (s && !s->sctp) return supply(e, "ENOTSOCK", "handle %ld is not an SCTP socket", (long)(s - table)), NULL;
    return s;
}

static long keep(SctpSocket *sock, int fd, int family, int type) {
    long handle = register_socket(fd, family, type);
    table[handle].sctp = sock;
    return handle;
}

/* close and reset of an SCTP handle: graceful (SHUTDOWN of an association that is up). */
void sctp_close_handle(Sock *s) {
    const SctpStack *stack = chosen();
    if (stack && s->sctp) stack->close(s->sctp);
    s->sctp = NULL;
}

static int loopback(int family, Address *a, Error *e) {
    return make_address(family, family == AF_INET ? "127.0.0.1" : "::1", 0, a, e);
}

static json_t *address_or(int have, const Address *a, const Address *fallback) {
    return address_json(have ? &a->ss : &fallback->ss);
}

/* `streams` (1.8): {"out": N, "in": M}, SCTP_INITMSG before setup; a count left out is 0, the
 * stack's default. 0: none asked; 1: *out, *in set. */
static int arg_streams(json_t *args, long long *out, long long *in, Error *e) {
    json_t *streams = json_object_get(args, "streams");
    if (!streams || json_is_null(streams)) return 0;
    if (!json_is_object(streams)) return fail(e, "BADREQUEST", "streams must be an object {out, in}"), -1;
    const char *key;
    json_t *value;
    json_object_foreach(streams, key, value) {
        if (strcmp(key, "out") && strcmp(key, "in")) return fail(e, "BADREQUEST", "unknown streams field '%s'", key), -1;
    }
    if (arg_int(streams, "out", 0, 0, out, e) < 0 || arg_int(streams, "in", 0, 0, in, e) < 0) return -1;
    if ((json_object_get(streams, "out") && (*out < 1 || *out > 0xFFFF)) ||
        (json_object_get(streams, "in") && (*in < 1 || *in > 0xFFFF)))
        return fail(e, "EINVAL", "stream counts are 1..65535"), -1;
    return 1;
}

static int arg_to(json_t *args, int family, Address *to, int *given, Error *e) {
    json_t *value = json_object_get(args, "to");
    *given = 0;
    if (!value || json_is_null(value)) return 0;
    if (!json_is_object(value)) return fail(e, "BADREQUEST", "to must be an address object"), -1;
    if (address_arg(value, family, to, e) < 0) return -1;
    *given = 1;
    return 0;
}

/* ---- operations ---------------------------------------------------------------------- */

json_t *op_sctp_stack(json_t *args, Error *e) {
    (void)args;
    const SctpStack *stack = need_stack(e);
    if (!stack) return NULL;
    int port = stack->encaps_port(e);
    if (port < 0) return NULL;
    return json_pack("{s:s, s:s, s:o}", "stack", stack->name, "version", stack->version(), "encaps_port",
                     port ? json_integer(port) : json_null());
}

json_t *op_sctp_listen(json_t *args, Error *e) {
    int family, fd;
    long long backlog, out = 0, in = 0;
    Address a;
    if (arg_family(args, &family, e) < 0 || address_arg(args, family, &a, e) < 0 ||
        arg_int(args, "backlog", 16, 0, &backlog, e) < 0)
        return NULL;
    json_t *style = json_object_get(args, "style");
    int type = SOCK_STREAM;
    if (style && !json_is_null(style)) {
        if (json_is_string(style) && !strcmp(json_string_value(style), "one-to-many")) type = SOCK_SEQPACKET;
        else if (!json_is_string(style) || strcmp(json_string_value(style), "one-to-one"))
            return fail(e, "BADREQUEST", "style is 'one-to-one' or 'one-to-many'");
    }
    int streams = arg_streams(args, &out, &in, e);
    const SctpStack *stack = streams < 0 ? NULL : need_stack(e);
    if (!stack) return NULL;
    SctpSocket *sock = stack->open(family, type, &fd, e);
    if (!sock) return NULL;
    if ((streams && stack->set_streams(sock, (int)out, (int)in, e) < 0) || stack->bind(sock, &a, e) < 0 ||
        stack->listen(sock, (int)backlog, e) < 0) {
        stack->close(sock);
        return NULL;
    }
    int port = stack->encaps_port(e);
    Address local;
    json_t *local_json = address_or(stack->local(sock, &local) == 0, &local, &a);
    return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)keep(sock, fd, family, type), "local", local_json,
                     "encaps_port", port > 0 ? json_integer(port) : json_null());
}

json_t *op_sctp_connect(json_t *args, Error *e) {
    int family, fd;
    long long encaps, out = 0, in = 0;
    double timeout;
    Address to, bind;
    if (arg_family(args, &family, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (!json_object_get(args, "port")) return fail(e, "BADREQUEST", "missing argument 'port'");
    if (address_arg(args, family, &to, e) < 0 || arg_int(args, "encaps_port", 0, 0, &encaps, e) < 0) return NULL;
    if (encaps < 0 || encaps > 65535) return fail(e, "EINVAL", "encaps_port out of range: %lld", encaps);
    json_t *bind_args = json_object_get(args, "bind");
    if (bind_args && !json_is_null(bind_args) && !json_is_object(bind_args))
        return fail(e, "BADREQUEST", "bind must be an address object");
    if (loopback(family, &bind, e) < 0) return NULL;
    if (json_is_object(bind_args)) { /* default: the family's loopback address, port 0 */
        json_t *host = json_object_get(bind_args, "host");
        long long port;
        if (host && !json_is_string(host)) return fail(e, "BADREQUEST", "argument 'host' must be a string");
        if (arg_int(bind_args, "port", 0, 0, &port, e) < 0) return NULL;
        if (make_address(family, host ? json_string_value(host) : (family == AF_INET ? "127.0.0.1" : "::1"), port,
                         &bind, e) < 0)
            return NULL;
    }
    int streams = arg_streams(args, &out, &in, e);
    const SctpStack *stack = streams < 0 ? NULL : need_stack(e);
    if (!stack) return NULL;
    SctpSocket *sock = stack->open(family, SOCK_STREAM, &fd, e);
    if (!sock) return NULL;
    /* bound first, so that the association has that one address (no multi-homing) */
    if ((streams && stack->set_streams(sock, (int)out, (int)in, e) < 0) || stack->bind(sock, &bind, e) < 0 ||
        stack->connect(sock, &to, (int)encaps, timeout, e) < 0) {
        stack->close(sock);
        return NULL;
    }
    int port = stack->encaps_port(e);
    Address local, peer;
    /* an association already over (the peer aborted at once) has no addresses left to ask for */
    json_t *local_json = address_or(stack->local(sock, &local) == 0, &local, &bind);
    json_t *peer_json = address_or(stack->peer(sock, &peer) == 0, &peer, &to);
    return json_pack("{s:I, s:o, s:o, s:o}", "handle", (json_int_t)keep(sock, fd, family, SOCK_STREAM), "local",
                     local_json, "peer", peer_json, "encaps_port", port > 0 ? json_integer(port) : json_null());
}

json_t *op_sctp_accept(json_t *args, Error *e) {
    double timeout;
    int fd;
    Sock *listener = arg_sctp(args, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    const SctpStack *stack = chosen();
    Address peer, local, asked;
    SctpSocket *conn = stack->accept(listener->sctp, timeout, &fd, &asked, e);
    if (!conn) return NULL;
    if (stack->local(conn, &local) < 0 && stack->local(listener->sctp, &local) < 0) {
        stack->close(conn);
        return supply(e, "EIO", "accept: the stack gave no local address");
    }
    json_t *peer_json = address_or(stack->peer(conn, &peer) == 0, &peer, &asked);
    long handle = keep(conn, fd, listener->family, SOCK_STREAM);
    return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)handle, "local", address_json(&local.ss), "peer",
                     peer_json);
}

json_t *op_sctp_send(json_t *args, Error *e) {
    Sock *s = arg_sctp(args, e);
    long long stream, ppid;
    int unordered, given;
    double timeout;
    Address to;
    if (!s || arg_int(args, "stream", 0, 0, &stream, e) < 0 || arg_int(args, "ppid", 0, 0, &ppid, e) < 0 ||
        arg_flag(args, "unordered", &unordered, e) < 0 || arg_timeout(args, &timeout, e) < 0 ||
        arg_to(args, s->family, &to, &given, e) < 0)
        return NULL;
    unsigned char *data;
    size_t len;
    if (b64_arg(args, &data, &len, e) < 0) return NULL;
    if (stream < 0 || stream > 0xFFFF || ppid < 0 || ppid > 0xFFFFFFFFLL) {
        free(data);
        return fail(e, "EINVAL", "stream is 0..65535 and ppid 0..2^32-1");
    }
    long sent = chosen()->send(s->sctp, data, len, (int)stream, (uint32_t)ppid, unordered, given ? &to : NULL,
                               timeout, e);
    free(data);
    return sent < 0 ? NULL : json_pack("{s:I}", "sent", (json_int_t)sent);
}

#define RECV_LIMIT (1 << 24) /* a read's buffer: at most max, and at most this */

json_t *op_sctp_recv(json_t *args, Error *e) {
    Sock *s = arg_sctp(args, e);
    long long max;
    double timeout;
    if (!s || arg_int(args, "max", 0, 1, &max, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    size_t size = max > RECV_LIMIT ? RECV_LIMIT : (size_t)max;
    unsigned char *buffer = malloc(size);
    if (!buffer) abort();
    SctpMessage m;
    if (chosen()->recv(s->sctp, buffer, size, timeout, &m, e) < 0) {
        free(buffer);
        return NULL;
    }
    json_t *flags = json_array();
    if (m.unordered) json_array_append_new(flags, json_string("unordered"));
    if (m.eor) json_array_append_new(flags, json_string("eor"));
    json_t *result = json_pack("{s:o, s:i, s:I, s:o}", "data", b64_json(buffer, m.len), "stream", m.stream, "ppid",
                               (json_int_t)m.ppid, "flags", flags);
    free(buffer);
    if (m.has_peer) json_object_set_new(result, "peer", address_json(&m.peer)); /* one-to-many */
    return result;
}

json_t *op_sctp_shutdown(json_t *args, Error *e) {
    Sock *s = arg_sctp(args, e);
    if (!s) return NULL;
    json_t *how = json_object_get(args, "how");
    int h = SHUT_WR;
    if (how && !json_is_null(how)) {
        const char *name = json_is_string(how) ? json_string_value(how) : "";
        if (!strcmp(name, "read")) h = SHUT_RD;
        else if (!strcmp(name, "write")) h = SHUT_WR;
        else if (!strcmp(name, "both")) h = SHUT_RDWR;
        else return fail(e, "BADREQUEST", "how is 'read', 'write' or 'both'");
    }
    return chosen()->shutdown(s->sctp, h, e) < 0 ? NULL : json_object();
}

/* ABORT at once; the handle is released whatever the stack answers. */
json_t *op_sctp_abort(json_t *args, Error *e) {
    Sock *s = arg_sctp(args, e);
    if (!s) return NULL;
    SctpSocket *sock = s->sctp;
    s->sctp = NULL;
    s->fd = -1;
    return chosen()->abort(sock, e) < 0 ? NULL : json_object();
}

/* sctp.status (1.8): SCTP_STATUS of the association (on a one-to-many socket, the one whose
 * peer is `to`). */
json_t *op_sctp_status(json_t *args, Error *e) {
    Sock *s = arg_sctp(args, e);
    Address to;
    int given;
    if (!s || arg_to(args, s->family, &to, &given, e) < 0) return NULL;
    SctpStatus st;
    if (chosen()->status(s->sctp, given ? &to : NULL, &st, e) < 0) return NULL;
    json_t *primary = st.primary.ss_family == AF_INET || st.primary.ss_family == AF_INET6
                          ? address_json(&st.primary) : json_null();
    return json_pack("{s:s, s:i, s:i, s:I, s:o}", "state", st.state, "outstreams", st.outstreams, "instreams",
                     st.instreams, "peer_rwnd", (json_int_t)st.peer_rwnd, "primary", primary);
}

/* ---- options (1.8) --------------------------------------------------------------------- */

int is_sctp_option(const char *name) { return !strcmp(name, "sctp_nodelay") || !strcmp(name, "sctp_hbinterval"); }

/* The IPPROTO_SCTP option numbers of linux/sctp.h, asked of a socket that is not SCTP: the
 * kernel answers (ENOPROTOOPT). */
static int kernel_number(const char *name) { return !strcmp(name, "sctp_nodelay") ? 3 : 9; }

int set_sctp_option(Sock *s, const char *name, json_t *value, Error *e) {
    if (!s->sctp) {
        int n = json_is_true(value) || (json_is_integer(value) && json_integer_value(value) != 0);
        if (setsockopt(s->fd, IPPROTO_SCTP, kernel_number(name), &n, sizeof n) < 0)
            return fail_errno(e, errno, "setsockopt"), -1;
        return 0;
    }
    const SctpStack *stack = chosen();
    if (!strcmp(name, "sctp_nodelay")) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option 'sctp_nodelay' takes a bool"), -1;
        return stack->set_nodelay(s->sctp, json_is_true(value), e);
    }
    if (!strcmp(name, "sctp_hbinterval")) {
        if (!json_is_null(value) && !json_is_integer(value))
            return fail(e, "BADREQUEST", "option 'sctp_hbinterval' takes null or integer milliseconds"), -1;
        long long ms = json_is_null(value) ? -1 : json_integer_value(value);
        if (!json_is_null(value) && (ms < 0 || ms > 0xFFFFFFFFLL))
            return fail(e, "EINVAL", "sctp_hbinterval is 0..2^32-1 milliseconds"), -1;
        return stack->set_hbinterval(s->sctp, ms, e);
    }
    return supply(e, "ENOPROTOOPT", "option '%s' is not one of an SCTP socket here", name), -1;
}

json_t *get_sctp_option(Sock *s, const char *name, Error *e) {
    if (!s->sctp) {
        int n = 0;
        socklen_t len = sizeof n;
        if (getsockopt(s->fd, IPPROTO_SCTP, kernel_number(name), &n, &len) < 0) return fail_errno(e, errno, "getsockopt");
        return json_integer(n);
    }
    const SctpStack *stack = chosen();
    if (!strcmp(name, "sctp_nodelay")) return stack->get_nodelay(s->sctp, e);
    if (!strcmp(name, "sctp_hbinterval")) return stack->get_hbinterval(s->sctp, e);
    return supply(e, "ENOPROTOOPT", "option '%s' is not one of an SCTP socket here", name);
}
