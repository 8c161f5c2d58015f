/* SCTP through the kernel (Linux: the sctp module), with the plain socket API: socket(2) with
 * IPPROTO_SCTP, bind, listen, connect, accept4, and sendmsg/recvmsg with the RFC 6458
 * ancillary data (SCTP_SNDINFO, SCTP_RCVINFO; SCTP_ABORT and SCTP_EOF as send flags). The
 * types and constants come from linux/sctp.h (linux-libc-dev); no libsctp is needed.
 *
 * UNTESTED here: the kernel this adapter was written on has no SCTP (socket(2) answers
 * EPROTONOSUPPORT), so the adapter uses usrsctp (sctp_usrsctp.c). Where the kernel has SCTP
 * this stack is preferred, as the reference does, and SCTP runs straight over IP: no
 * encapsulation port. Sockets are non-blocking and wait with poll(2), like every other
 * socket of the adapter (wait.c). */
#include "sctp.h"

#if __has_include(<linux/sctp.h>)
#include <linux/sctp.h>
#include <sys/utsname.h>

struct SctpSocket {
    int fd, family, type;
};

static char version_text[128];

static const char *k_version(void) {
    struct utsname u;
    if (!version_text[0] && uname(&u) == 0) snprintf(version_text, sizeof version_text, "%.60s %.60s", u.sysname, u.release);
    return version_text;
}

static int k_encaps_port(Error *e) {
    (void)e;
    return 0; /* SCTP straight over IP */
}

static SctpSocket *wrap(int fd, int family, int type, Error *e) {
    int on = 1;
    if (setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0) {
        fail_errno(e, errno, "setsockopt(SCTP_RECVRCVINFO)");
        close(fd);
        return NULL;
    }
    SctpSocket *s = malloc(sizeof *s);
    if (!s) abort();
    *s = (SctpSocket){fd, family, type};
    return s;
}

static SctpSocket *k_open(int family, int type, int *fd, Error *e) {
    int sock = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_SCTP);
    if (sock < 0) return fail_errno(e, errno, "socket"), NULL;
    SctpSocket *s = wrap(sock, family, type, e);
    if (s) *fd = sock;
    return s;
}

static int k_set_streams(SctpSocket *s, int out, int in, Error *e) {
    struct sctp_initmsg init = {0};
    init.sinit_num_ostreams = (__u16)out;
    init.sinit_max_instreams = (__u16)in;
    if (setsockopt(s->fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0)
        return fail_errno(e, errno, "setsockopt(SCTP_INITMSG)"), -1;
    return 0;
}

static int k_bind(SctpSocket *s, const Address *a, Error *e) {
    if (bind(s->fd, (struct sockaddr *)&a->ss, a->len) < 0) return fail_errno(e, errno, "bind"), -1;
    return 0;
}

static int k_listen(SctpSocket *s, int backlog, Error *e) {
    if (listen(s->fd, backlog) < 0) return fail_errno(e, errno, "listen"), -1;
    return 0;
}

static int k_connect(SctpSocket *s, const Address *to, int encaps_port, double timeout, Error *e) {
    (void)encaps_port; /* no encapsulation */
    if (connect(s->fd, (struct sockaddr *)&to->ss, to->len) == 0) return 0;
    if (errno != EINPROGRESS) return fail_errno(e, errno, "connect"), -1;
    if (timeout == 0) return fail(e, "EINPROGRESS", "connect: in progress"), -1;
    if (wait_ready(s->fd, POLLOUT, timeout, now() + timeout, "connect", e) < 0) return -1;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return fail_errno(e, err, "connect"), -1;
    return 0;
}

static SctpSocket *k_accept(SctpSocket *s, double timeout, int *fd, Address *peer, Error *e) {
    double deadline = now() + timeout;
    for (;;) {
        memset(peer, 0, sizeof *peer);
        peer->len = sizeof peer->ss;
        int conn = accept4(s->fd, (struct sockaddr *)&peer->ss, &peer->len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn >= 0) {
            SctpSocket *c = wrap(conn, s->family, SOCK_STREAM, e);
            if (c) *fd = conn;
            return c;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "accept"), NULL;
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "accept", e) < 0) return NULL;
    }
}

/* sendmsg with one SCTP_SNDINFO; flags (SCTP_ABORT, SCTP_EOF) for the data-less ones. */
static ssize_t send_info(SctpSocket *s, const void *data, size_t len, int stream, uint32_t ppid, uint16_t flags,
                         const Address *to) {
    char control[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
    memset(control, 0, sizeof control);
    struct iovec iov = {(void *)data, len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (to) msg.msg_name = (void *)&to->ss, msg.msg_namelen = to->len;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_SNDINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndinfo));
    struct sctp_sndinfo info = {0};
    info.snd_sid = (__u16)stream;
    info.snd_flags = flags;
    info.snd_ppid = htonl(ppid);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    return sendmsg(s->fd, &msg, MSG_NOSIGNAL);
}

static long k_send(SctpSocket *s, const unsigned char *data, size_t len, int stream, uint32_t ppid, int unordered,
                   const Address *to, double timeout, Error *e) {
    static const unsigned char nothing[1];
    double deadline = now() + timeout;
    for (;;) {
        ssize_t sent = send_info(s, data ? data : nothing, len, stream, ppid, unordered ? SCTP_UNORDERED : 0, to);
        if (sent >= 0) return (long)sent;
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "sendmsg"), -1;
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "send", e) < 0) return -1;
    }
}

static int k_recv(SctpSocket *s, unsigned char *buffer, size_t max, double timeout, SctpMessage *m, Error *e) {
    double deadline = now() + timeout;
    for (;;) {
        char control[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
        struct sockaddr_storage from;
        struct iovec iov = {buffer, max};
        struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control, .msg_controllen = sizeof control};
        memset(&from, 0, sizeof from);
        ssize_t got = recvmsg(s->fd, &msg, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "recvmsg"), -1;
            if (wait_ready(s->fd, POLLIN, timeout, deadline, "recv", e) < 0) return -1;
            continue;
        }
        if (msg.msg_flags & MSG_NOTIFICATION) continue; /* none are subscribed; never handed on */
        memset(m, 0, sizeof *m);
        m->len = (size_t)got;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != IPPROTO_SCTP || c->cmsg_type != SCTP_RCVINFO ||
                c->cmsg_len < CMSG_LEN(sizeof(struct sctp_rcvinfo)))
                continue;
            struct sctp_rcvinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            m->stream = info.rcv_sid;
            m->ppid = ntohl(info.rcv_ppid);
            m->unordered = (info.rcv_flags & SCTP_UNORDERED) != 0;
        }
        m->eor = (msg.msg_flags & MSG_EOR) != 0;
        if (s->type == SOCK_SEQPACKET && msg.msg_namelen > 0) m->has_peer = 1, m->peer = from;
        return 0;
    }
}

static int k_shutdown(SctpSocket *s, int how, Error *e) {
    if (shutdown(s->fd, how) < 0) return fail_errno(e, errno, "shutdown"), -1;
    return 0;
}

/* close(2) is the graceful close: SHUTDOWN (or, with unread data, the kernel's ABORT). */
static void k_close(SctpSocket *s) {
    close(s->fd);
    free(s);
}

/* SO_LINGER on with 0 seconds, then close: an ABORT to every association of the socket
 * (RFC 6458 §8.1.4). */
static int k_abort(SctpSocket *s, Error *e) {
    struct linger l = {1, 0};
    int r = 0;
    if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) r = -1, fail_errno(e, errno, "setsockopt(SO_LINGER)");
    k_close(s);
    return r;
}

static int k_local(SctpSocket *s, Address *a) {
    a->len = sizeof a->ss;
    return getsockname(s->fd, (struct sockaddr *)&a->ss, &a->len) < 0 ? -1 : 0;
}

static int k_peer(SctpSocket *s, Address *a) {
    a->len = sizeof a->ss;
    return getpeername(s->fd, (struct sockaddr *)&a->ss, &a->len) < 0 ? -1 : 0;
}

static const char *state_name(int state) {
    switch (state) {
    case SCTP_EMPTY: /* fall through: no association */
    case SCTP_CLOSED: return "closed";
    case SCTP_COOKIE_WAIT: return "cookie-wait";
    case SCTP_COOKIE_ECHOED: return "cookie-echoed";
    case SCTP_ESTABLISHED: return "established";
    case SCTP_SHUTDOWN_PENDING: return "shutdown-pending";
    case SCTP_SHUTDOWN_SENT: return "shutdown-sent";
    case SCTP_SHUTDOWN_RECEIVED: return "shutdown-received";
    case SCTP_SHUTDOWN_ACK_SENT: return "shutdown-ack-sent";
    default: return NULL;
    }
}

static int k_status(SctpSocket *s, const Address *to, SctpStatus *st, Error *e) {
    struct sctp_status status;
    memset(&status, 0, sizeof status);
    if (to) { /* one-to-many: the association is found by its peer's address */
        struct sctp_paddrinfo info;
        memset(&info, 0, sizeof info);
        memcpy(&info.spinfo_address, &to->ss, to->len);
        socklen_t len = sizeof info;
        if (getsockopt(s->fd, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &info, &len) < 0)
            return fail_errno(e, errno, "getsockopt(SCTP_GET_PEER_ADDR_INFO)"), -1;
        status.sstat_assoc_id = info.spinfo_assoc_id;
    }
    socklen_t len = sizeof status;
    if (getsockopt(s->fd, IPPROTO_SCTP, SCTP_STATUS, &status, &len) < 0)
        return fail_errno(e, errno, "getsockopt(SCTP_STATUS)"), -1;
    memset(st, 0, sizeof *st);
    const char *state = state_name(status.sstat_state);
    if (state) snprintf(st->state, sizeof st->state, "%s", state);
    else snprintf(st->state, sizeof st->state, "unknown %d", (int)status.sstat_state);
    st->outstreams = status.sstat_outstrms;
    st->instreams = status.sstat_instrms;
    st->peer_rwnd = status.sstat_rwnd;
    memcpy(&st->primary, &status.sstat_primary.spinfo_address, sizeof st->primary);
    return 0;
}

static int k_set_hbinterval(SctpSocket *s, long long ms, Error *e) {
    struct sctp_paddrparams p;
    memset(&p, 0, sizeof p);
    if (ms < 0) {
        p.spp_flags = SPP_HB_DISABLE;
    } else {
        p.spp_flags = SPP_HB_ENABLE | (ms == 0 ? SPP_HB_TIME_IS_ZERO : 0);
        p.spp_hbinterval = (__u32)ms;
    }
    if (setsockopt(s->fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &p, sizeof p) < 0)
        return fail_errno(e, errno, "setsockopt(SCTP_PEER_ADDR_PARAMS)"), -1;
    return 0;
}

static json_t *k_get_hbinterval(SctpSocket *s, Error *e) {
    struct sctp_paddrparams p;
    memset(&p, 0, sizeof p);
    socklen_t len = sizeof p;
    if (getsockopt(s->fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &p, &len) < 0)
        return fail_errno(e, errno, "getsockopt(SCTP_PEER_ADDR_PARAMS)");
    return p.spp_flags & SPP_HB_DISABLE ? json_null() : json_integer(p.spp_hbinterval);
}

static int k_set_nodelay(SctpSocket *s, int on, Error *e) {
    if (setsockopt(s->fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) < 0)
        return fail_errno(e, errno, "setsockopt(SCTP_NODELAY)"), -1;
    return 0;
}

static json_t *k_get_nodelay(SctpSocket *s, Error *e) {
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(s->fd, IPPROTO_SCTP, SCTP_NODELAY, &on, &len) < 0)
        return fail_errno(e, errno, "getsockopt(SCTP_NODELAY)");
    return json_boolean(on);
}

static const SctpStack KERNEL = {
    .name = "kernel", .version = k_version, .encaps_port = k_encaps_port, .open = k_open,
    .set_streams = k_set_streams, .bind = k_bind, .listen = k_listen, .connect = k_connect, .accept = k_accept,
    .send = k_send, .recv = k_recv, .shutdown = k_shutdown, .abort = k_abort, .close = k_close,
    .local = k_local, .peer = k_peer, .status = k_status, .set_hbinterval = k_set_hbinterval,
    .get_hbinterval = k_get_hbinterval, .set_nodelay = k_set_nodelay, .get_nodelay = k_get_nodelay,
};

const SctpStack *sctp_kernel_stack(void) {
    static int available = -1;
    if (available < 0) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
        available = fd >= 0;
        if (fd >= 0) close(fd);
    }
    return available ? &KERNEL : NULL;
}

#else /* no linux/sctp.h */

const SctpStack *sctp_kernel_stack(void) { return NULL; }

#endif
