/* UDP: udp.bind, udp.connect, udp.sendto, udp.recvfrom with uv_udp_init_ex, uv_udp_bind,
 * uv_udp_connect, uv_udp_try_send / uv_udp_send, uv_udp_recv_start. */
#include "adapter.h"

static Entry *udp_arg(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    if (en && en->kind != K_UDP)
        return supply(e, "EOPNOTSUPP", "handle %ld is a stream socket: libuv has no datagram call for it", en->id), NULL;
    return en;
}

json_t *op_udp_bind(json_t *args, Error *e) {
    int family;
    unsigned flags = 0;
    struct sockaddr_storage at;
    if (arg_family(args, &family, e) < 0 || address_arg(args, family, &at, e) < 0) return NULL;
    Entry *en = entry_new(K_UDP, family);
    int r = uv_udp_init_ex(loop, &en->u.udp, (unsigned)family); /* the socket now: options before bind */
    if (r < 0) return free(en), fail_uv(e, r, "uv_udp_init_ex");
    if (apply_options(en, args, &flags, e) < 0) return entry_discard(en), NULL;
    r = uv_udp_bind(&en->u.udp, (struct sockaddr *)&at, flags);
    if (r < 0) return discard_with(en, e, r, "uv_udp_bind");
    json_t *local = entry_name(en, 0, e);
    if (!local) return entry_discard(en), NULL;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)entry_register(en), "local", local);
}

json_t *op_udp_connect(json_t *args, Error *e) {
    struct sockaddr_storage to;
    Entry *en = udp_arg(args, e);
    if (!en || address_arg(args, en->family, &to, e) < 0) return NULL;
    int r = uv_udp_connect(&en->u.udp, (struct sockaddr *)&to);
    if (r < 0) return fail_uv(e, r, "uv_udp_connect");
    json_t *local = entry_name(en, 0, e), *peer = local ? entry_name(en, 1, e) : NULL;
    if (!peer) return json_decref(local), NULL;
    return json_pack("{s:o, s:o}", "local", local, "peer", peer);
}

/* udp.disconnect (1.5): uv_udp_connect with a NULL address, libuv's way to forget the peer
 * (connect to AF_UNSPEC). libuv answers UV_ENOTCONN itself on a socket it did not connect. */
json_t *op_udp_disconnect(json_t *args, Error *e) {
    Entry *en = udp_arg(args, e);
    if (!en) return NULL;
    int r = uv_udp_connect(&en->u.udp, NULL);
    if (r < 0) return fail_uv(e, r, "uv_udp_connect(NULL)");
    return json_object();
}

typedef struct {
    uv_udp_send_t req;
    Entry *en;
    char data[];
} SendReq;

static void on_sent(uv_udp_send_t *req, int status) {
    SendReq *s = (SendReq *)req;
    s->en->writes_pending--;
    if (status < 0 && status != UV_ECANCELED && !s->en->write_error) s->en->write_error = status;
    free(s);
}

json_t *op_udp_sendto(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    struct sockaddr_storage to;
    json_t *host = json_object_get(args, "host");
    int addressed = host && !json_is_null(host);
    Entry *en = udp_arg(args, e);
    if (!en || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (addressed && address_arg(args, en->family, &to, e) < 0) return NULL;
    if (b64_arg(args, &data, &len, e) < 0) return NULL;
    const struct sockaddr *dest = addressed ? (struct sockaddr *)&to : NULL;
    /* uv_udp_try_send: sent now, or UV_EAGAIN (no room, or libuv still queues earlier ones). */
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(&en->u.udp, &buf, 1, dest);
    if (r >= 0 || r != UV_EAGAIN || timeout == 0) {
        free(data);
        return r >= 0 ? json_pack("{s:i}", "sent", r) : fail_uv(e, r, "uv_udp_try_send");
    }
    /* No room now: uv_udp_send queues it, and the wait is for its callback. */
    SendReq *s = malloc(sizeof *s + len + 1);
    if (!s) abort();
    s->en = en;
    memcpy(s->data, data, len);
    free(data);
    buf = uv_buf_init(s->data, (unsigned)len);
    r = uv_udp_send(&s->req, &en->u.udp, &buf, 1, dest, on_sent);
    if (r < 0) return free(s), fail_uv(e, r, "uv_udp_send");
    en->writes_pending++;
    if (!run_until_zero(&en->writes_pending, timeout))
        /* still queued in libuv, which sends it when there is room: it is not withdrawn */
        return json_pack("{s:I}", "sent", (json_int_t)len);
    if (en->write_error) {
        int err = en->write_error;
        en->write_error = 0;
        return fail_uv(e, err, "uv_udp_send");
    }
    return json_pack("{s:I}", "sent", (json_int_t)len);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    Entry *en = h->data;
    *buf = uv_buf_init(en->rbuf, (unsigned)en->rmax);
}

/* One datagram, then receiving stops again (what was not asked for stays in the kernel). */
static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags) {
    (void)buf;
    Entry *en = h->data;
    if (nread == 0 && !addr) return; /* nothing to read (EAGAIN): libuv keeps waiting */
    en->rdone = 1;
    en->rresult = nread;
    en->rflags = flags;
    if (addr) {
        memcpy(&en->rfrom, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
        en->rfrom_set = 1;
    }
    uv_udp_recv_stop(h);
}

json_t *op_udp_recvfrom(json_t *args, Error *e) {
    double timeout;
    long long max;
    Entry *en = udp_arg(args, e);
    if (!en || arg_timeout(args, &timeout, e) < 0 || arg_max(args, &max, e) < 0) return NULL;
    if (read_buffer(en, max) < 0) return fail(e, "ENOMEM", "recvfrom: cannot allocate %lld bytes", max);
    int r = uv_udp_recv_start(&en->u.udp, on_alloc, on_recv);
    if (r < 0) return fail_uv(e, r, "uv_udp_recv_start");
    if (!run_until(&en->rdone, timeout)) {
        uv_udp_recv_stop(&en->u.udp);
        if (timeout == 0) return supply(e, "EAGAIN", "recvfrom: nothing arrived in one turn of the loop");
        return fail(e, "ETIMEDOUT", "recvfrom: timed out after %g s", timeout);
    }
    if (en->rresult < 0) return fail_uv(e, (int)en->rresult, "recvmsg");
    json_t *peer = en->rfrom_set ? address_json((struct sockaddr *)&en->rfrom) : json_pack("{s:s, s:i}", "host", "", "port", 0);
    /* UV_UDP_PARTIAL: libuv's own flag for MSG_TRUNC ("message was truncated") */
    return json_pack("{s:o, s:o, s:b}", "data", b64_json((unsigned char *)en->rbuf, (size_t)en->rresult), "peer",
                     peer, "truncated", (en->rflags & UV_UDP_PARTIAL) != 0);
}
