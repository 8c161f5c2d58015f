/* SCTP over usrsctp (a user-space SCTP stack, https://github.com/sctplab/usrsctp), with UDP
 * encapsulation on loopback (RFC 6951).
 *
 * The adapter does not link libusrsctp: it is loaded at run time with dlopen("libusrsctp.so.2"),
 * so the adapter builds and runs where the library is missing (then it declares no sctp).
 * usrsctp.h is used for the types and constants only, and this file compiles to nothing
 * without it. SOCKSPEC_NO_USRSCTP (any value) hides the library, as it does from the reference.
 *
 * The stack starts on first use: usrsctp_init with a UDP port free on both 0.0.0.0 and [::]
 * (the stack binds a UDP socket of each family to it), and with the CRC32c computed on
 * loopback too (usrsctp skips it there by default; RFC 9260 §6.8 wants it on every packet).
 * Every socket is non-blocking (usrsctp_set_non_blocking); a call that would block is retried
 * when usrsctp_get_events shows the socket ready (checked every millisecond until the
 * request's deadline: the stack's own threads do the work meanwhile).
 *
 * Closing. usrsctp_close of a socket whose association still has a timer running can abort
 * the process (sctplab/usrsctp#383, #676), so a socket closed gracefully is shut down
 * (SHUTDOWN) and only freed by a reaper thread once its association is gone; after 10 s it
 * is aborted instead. At exit the retired sockets get 2 s to finish, the rest are aborted.
 *
 * A usrsctp socket has no descriptor: the handle table keeps an open /dev/null in its place
 * (socket calls on it answer the kernel's ENOTSOCK), closed with the handle. */
#include "sctp.h"

#if __has_include(<usrsctp.h>)
#include <usrsctp.h>

#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#define USRSCTP_LIBRARY "libusrsctp.so.2"

#define FUNCTIONS(X)                                                                                          \
    X(usrsctp_init) X(usrsctp_finish) X(usrsctp_socket) X(usrsctp_close) X(usrsctp_setsockopt)             \
    X(usrsctp_getsockopt) X(usrsctp_bind) X(usrsctp_listen) X(usrsctp_accept) X(usrsctp_connect)            \
    X(usrsctp_sendv) X(usrsctp_recvv) X(usrsctp_shutdown) X(usrsctp_set_non_blocking) X(usrsctp_get_events) \
    X(usrsctp_getladdrs) X(usrsctp_freeladdrs) X(usrsctp_getpaddrs) X(usrsctp_freepaddrs)                  \
    X(usrsctp_sysctl_set_sctp_no_csum_on_loopback)

static struct {
#define DECLARE(name) __typeof__(name) *name;
    FUNCTIONS(DECLARE)
#undef DECLARE
} lib;
static int loaded; /* 1: loaded, -1: not available */
static char version_text[128];

struct SctpSocket {
    struct socket *so;
    int family, type;
    int placeholder; /* the descriptor the handle table keeps */
    int has_local, has_peer;
    Address known_local, known_peer; /* what bind and accept said: an association already over has none left */
};

/* ---- the library and the stack ------------------------------------------------------- */

static int load(void) {
    if (loaded) return loaded > 0;
    loaded = -1;
    const char *hide = getenv("SOCKSPEC_NO_USRSCTP");
    if (hide && *hide) return 0;
    void *handle = dlopen(USRSCTP_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return 0;
#define RESOLVE(name)                                                                                         \
    if (!(lib.name = (__typeof__(name) *)dlsym(handle, #name))) return dlclose(handle), 0;
    FUNCTIONS(RESOLVE)
#undef RESOLVE
    /* usrsctp reports no version of its own: the shared object's file name is its ABI's */
    Dl_info info;
    char real[4096];
    const char *name = USRSCTP_LIBRARY;
    if (dladdr((void *)lib.usrsctp_init, &info) && info.dli_fname && realpath(info.dli_fname, real)) {
        const char *slash = strrchr(real, '/');
        name = slash ? slash + 1 : real;
    }
    snprintf(version_text, sizeof version_text, "%.120s", name);
    loaded = 1;
    return 1;
}

static int encaps; /* the stack's UDP port once started */
static pthread_mutex_t retired_lock = PTHREAD_MUTEX_INITIALIZER;

static int udp_port_taken(int family, int port) {
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, taken = 0;
    if (fd < 0) return 0;
    Address a;
    Error ignored;
    make_address(family, family == AF_INET ? "0.0.0.0" : "::", port, &a, &ignored);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0) taken = errno == EADDRINUSE;
    close(fd);
    return taken;
}

/* A UDP port free on both families: the kernel's pick for IPv4, if [::] has it free too. */
static int free_udp_port(void) {
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        struct sockaddr_in in = {.sin_family = AF_INET};
        socklen_t len = sizeof in;
        int port = -1;
        if (bind(fd, (struct sockaddr *)&in, sizeof in) == 0 && getsockname(fd, (struct sockaddr *)&in, &len) == 0)
            port = ntohs(in.sin_port);
        close(fd);
        if (port > 0 && !udp_port_taken(AF_INET6, port)) return port;
    }
    return -1;
}

static void at_exit(void);

static int start(Error *e) {
    if (encaps) return 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_udp_port();
        if (port < 0) return fail(e, "EADDRINUSE", "usrsctp_init: no UDP port free on both families"), -1;
        lib.usrsctp_init((uint16_t)port, NULL, NULL);
        /* RFC 9260 §6.8: every packet carries a CRC32c; usrsctp skips it on loopback by default */
        lib.usrsctp_sysctl_set_sctp_no_csum_on_loopback(0);
        if (udp_port_taken(AF_INET, port) && udp_port_taken(AF_INET6, port)) {
            encaps = port;
            atexit(at_exit);
            return 0;
        }
        lib.usrsctp_finish(); /* another process took the port between the probe and usrsctp's bind */
    }
    return fail(e, "EADDRINUSE", "usrsctp_init: the stack could not bind its UDP port"), -1;
}

/* ---- helpers ------------------------------------------------------------------------- */

static json_t *fail_now(Error *e, const char *context) {
    return fail_errno(e, errno ? errno : EIO, context);
}

static int set(SctpSocket *s, int level, int name, const void *value, socklen_t len, Error *e) {
    errno = 0;
    if (lib.usrsctp_setsockopt(s->so, level, name, value, len) < 0) return fail_now(e, "usrsctp_setsockopt"), -1;
    return 0;
}

static int set_int(SctpSocket *s, int level, int name, int value, Error *e) {
    return set(s, level, name, &value, sizeof value, e);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* After a call would block: the events now pending among mask (or an error, once per call:
 * the retried call then reports it), or -1 with EAGAIN (timeout 0) or ETIMEDOUT. */
static int await(SctpSocket *s, int mask, double timeout, double deadline, int *error_seen, const char *what,
                 Error *e) {
    for (;;) {
        int events = lib.usrsctp_get_events(s->so);
        if (events & mask) return events;
        if (events & SCTP_EVENT_ERROR && !*error_seen) {
            *error_seen = 1;
            return events;
        }
        if (timeout == 0) return fail(e, "EAGAIN", "%s: would block", what), -1;
        if (now() >= deadline) return fail(e, "ETIMEDOUT", "%s: timed out after %g s", what, timeout), -1;
        sleep_ms(1);
    }
}

static int first_address(struct sockaddr *addrs, int count, Address *a) {
    if (count <= 0 || !addrs) return -1;
    memset(a, 0, sizeof *a);
    if (addrs->sa_family == AF_INET) a->len = sizeof(struct sockaddr_in);
    else if (addrs->sa_family == AF_INET6) a->len = sizeof(struct sockaddr_in6);
    else return -1;
    memcpy(&a->ss, addrs, a->len);
    return 0;
}

static int local_address(SctpSocket *s, Address *a) {
    struct sockaddr *addrs = NULL;
    int count = lib.usrsctp_getladdrs(s->so, 0, &addrs), r = first_address(addrs, count, a);
    if (count > 0 && addrs) lib.usrsctp_freeladdrs(addrs);
    if (r < 0 && s->has_local) *a = s->known_local, r = 0;
    return r;
}

static int peer_count(struct socket *so) {
    struct sockaddr *addrs = NULL;
    int count = lib.usrsctp_getpaddrs(so, 0, &addrs);
    if (count > 0 && addrs) lib.usrsctp_freepaddrs(addrs);
    return count > 0 ? count : 0;
}

static int peer_address(SctpSocket *s, Address *a) {
    struct sockaddr *addrs = NULL;
    int count = lib.usrsctp_getpaddrs(s->so, 0, &addrs), r = first_address(addrs, count, a);
    if (count > 0 && addrs) lib.usrsctp_freepaddrs(addrs);
    if (r < 0 && s->has_peer) *a = s->known_peer, r = 0;
    return r;
}

/* How many associations a socket still has (0 once every one is over). */
static int associations(struct socket *so, int type) {
    if (type == SOCK_STREAM) return peer_count(so);
    uint32_t number = 0;
    socklen_t len = sizeof number;
    if (lib.usrsctp_getsockopt(so, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER, &number, &len) < 0) return 0;
    return (int)number;
}

/* A message without data carrying flags: SCTP_ABORT or SCTP_EOF, to every association of a
 * one-to-many socket (SCTP_SENDALL). */
static ssize_t send_flags(struct socket *so, int type, uint16_t flags) {
    static const char nothing[1];
    struct sctp_sndinfo info = {0};
    info.snd_flags = flags | (type == SOCK_SEQPACKET ? SCTP_SENDALL : 0);
    return lib.usrsctp_sendv(so, nothing, 0, NULL, 0, &info, sizeof info, SCTP_SENDV_SNDINFO, 0);
}

/* ---- the reaper: frees closed sockets once their association is over ------------------- */

#define GRACE 10.0 /* seconds a graceful shutdown may take before the association is aborted */

typedef struct {
    struct socket *so;
    int type;
    double since;
} Retired;

static Retired *retired;
static size_t retired_count, retired_size;
static pthread_t reaper;
static int reaper_running, reaper_stop;

/* One pass: frees what is over; aborts what took too long. Called with retired_lock held. */
static void sweep(double grace) {
    size_t kept = 0;
    for (size_t i = 0; i < retired_count; i++) {
        Retired r = retired[i];
        if (associations(r.so, r.type) == 0) {
            lib.usrsctp_close(r.so);
            continue;
        }
        if (now() - r.since > grace) {
            send_flags(r.so, r.type, SCTP_ABORT);
            r.since = now();
        }
        retired[kept++] = r;
    }
    retired_count = kept;
}

static void *reap(void *unused) {
    (void)unused;
    for (;;) {
        sleep_ms(50);
        pthread_mutex_lock(&retired_lock);
        int stop = reaper_stop;
        if (!stop) sweep(GRACE);
        pthread_mutex_unlock(&retired_lock);
        if (stop) return NULL;
    }
}

static void retire(struct socket *so, int type) {
    pthread_mutex_lock(&retired_lock);
    if (retired_count == retired_size) {
        retired_size = retired_size ? retired_size * 2 : 64;
        retired = realloc(retired, retired_size * sizeof *retired);
        if (!retired) abort();
    }
    retired[retired_count++] = (Retired){so, type, now()};
    sweep(GRACE);
    if (!reaper_running && retired_count && pthread_create(&reaper, NULL, reap, NULL) == 0) reaper_running = 1;
    pthread_mutex_unlock(&retired_lock);
}

/* At exit (after close_all): 2 s for the shutdowns under way, then ABORT for the rest; then the
 * process ends without running the C library's exit handlers beside the stack's threads. */
static void at_exit(void) {
    pthread_mutex_lock(&retired_lock);
    reaper_stop = 1;
    pthread_mutex_unlock(&retired_lock);
    if (reaper_running) pthread_join(reaper, NULL);
    double end = now() + 2.0;
    while (retired_count && now() < end) {
        sweep(2.0);
        if (retired_count) sleep_ms(10);
    }
    for (size_t i = 0; i < retired_count; i++) send_flags(retired[i].so, retired[i].type, SCTP_ABORT);
    for (int i = 0; i < 100 && retired_count; i++) { /* an aborted association is gone at once */
        sweep(1e9);
        if (retired_count) sleep_ms(10);
    }
    _exit(0);
}

/* ---- the stack's calls --------------------------------------------------------------- */

static const char *u_version(void) { return version_text; }

static int u_encaps_port(Error *e) { return start(e) < 0 ? -1 : encaps; }

static SctpSocket *wrap(struct socket *so, int family, int type, int *fd, Error *e) {
    SctpSocket *s = calloc(1, sizeof *s);
    if (!s) abort();
    *s = (SctpSocket){.so = so, .family = family, .type = type};
    s->placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s->placeholder < 0) {
        fail_errno(e, errno, "open /dev/null");
        lib.usrsctp_close(so);
        free(s);
        return NULL;
    }
    lib.usrsctp_set_non_blocking(so, 1);
    if (set_int(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, e) < 0) {
        lib.usrsctp_close(so);
        close(s->placeholder);
        free(s);
        return NULL;
    }
    *fd = s->placeholder;
    return s;
}

static SctpSocket *u_open(int family, int type, int *fd, Error *e) {
    if (start(e) < 0) return NULL;
    errno = 0;
    struct socket *so = lib.usrsctp_socket(family, type, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (!so) return fail_now(e, "usrsctp_socket"), NULL;
    return wrap(so, family, type, fd, e);
}

static int u_set_streams(SctpSocket *s, int out, int in, Error *e) {
    struct sctp_initmsg init = {0};
    init.sinit_num_ostreams = (uint16_t)out;
    init.sinit_max_instreams = (uint16_t)in;
    return set(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init, e);
}

static int u_bind(SctpSocket *s, const Address *a, Error *e) {
    errno = 0;
    if (lib.usrsctp_bind(s->so, (struct sockaddr *)&a->ss, a->len) < 0) return fail_now(e, "usrsctp_bind"), -1;
    s->known_local = *a, s->has_local = 1;
    return 0;
}

static int u_listen(SctpSocket *s, int backlog, Error *e) {
    errno = 0;
    if (lib.usrsctp_listen(s->so, backlog) < 0) return fail_now(e, "usrsctp_listen"), -1;
    return 0;
}

static int u_connect(SctpSocket *s, const Address *to, int encaps_port, double timeout, Error *e) {
    if (encaps_port > 0) { /* the UDP port the peer's stack listens on (RFC 6951 §5.2) */
        struct sctp_udpencaps ue;
        memset(&ue, 0, sizeof ue);
        ue.sue_port = htons((uint16_t)encaps_port);
        if (set(s, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &ue, sizeof ue, e) < 0) return -1;
    }
    s->known_peer = *to, s->has_peer = 1;
    errno = 0;
    if (lib.usrsctp_connect(s->so, (struct sockaddr *)&to->ss, to->len) == 0) return 0;
    if (errno != EINPROGRESS) return fail_now(e, "usrsctp_connect"), -1;
    if (timeout == 0) return fail(e, "EINPROGRESS", "usrsctp_connect: in progress"), -1;
    int error_seen = 0, events = await(s, SCTP_EVENT_WRITE, timeout, now() + timeout, &error_seen, "connect", e);
    if (events < 0) return -1;
    int code = 0;
    socklen_t len = sizeof code;
    lib.usrsctp_getsockopt(s->so, SOL_SOCKET, SO_ERROR, &code, &len);
    if (code) return fail_errno(e, code, "connect"), -1;
    if (!(events & SCTP_EVENT_WRITE))
        return supply(e, "ECONNREFUSED", "connect: the association was not set up (an error, no SO_ERROR)"), -1;
    return 0;
}

static SctpSocket *u_accept(SctpSocket *s, double timeout, int *fd, Address *peer, Error *e) {
    double deadline = now() + timeout;
    int error_seen = 0;
    for (;;) {
        Address name;
        memset(&name, 0, sizeof name);
        name.len = sizeof name.ss;
        errno = 0;
        struct socket *so = lib.usrsctp_accept(s->so, (struct sockaddr *)&name.ss, &name.len);
        if (so) {
            SctpSocket *conn = wrap(so, s->family, SOCK_STREAM, fd, e);
            if (!conn) return NULL;
            if (local_address(s, &conn->known_local) == 0) conn->has_local = 1;
            conn->known_peer = name, conn->has_peer = name.len > 0;
            *peer = name;
            return conn;
        }
        if (errno && !WOULD_BLOCK(errno)) return fail_now(e, "usrsctp_accept"), NULL;
        if (await(s, SCTP_EVENT_READ, timeout, deadline, &error_seen, "accept", e) < 0) return NULL;
    }
}

static long u_send(SctpSocket *s, const unsigned char *data, size_t len, int stream, uint32_t ppid, int unordered,
                   const Address *to, double timeout, Error *e) {
    static const unsigned char nothing[1];
    struct sctp_sndinfo info = {0};
    info.snd_sid = (uint16_t)stream;
    info.snd_flags = unordered ? SCTP_UNORDERED : 0;
    info.snd_ppid = htonl(ppid);
    double deadline = now() + timeout;
    int error_seen = 0;
    for (;;) {
        errno = 0;
        ssize_t sent = lib.usrsctp_sendv(s->so, data ? data : nothing, len, to ? (struct sockaddr *)&to->ss : NULL,
                                         to ? 1 : 0, &info, sizeof info, SCTP_SENDV_SNDINFO, 0);
        if (sent >= 0) return (long)sent;
        if (!WOULD_BLOCK(errno)) return fail_now(e, "usrsctp_sendv"), -1;
        if (await(s, SCTP_EVENT_WRITE, timeout, deadline, &error_seen, "send", e) < 0) return -1;
    }
}

static int u_recv(SctpSocket *s, unsigned char *buffer, size_t max, double timeout, SctpMessage *m, Error *e) {
    double deadline = now() + timeout;
    int error_seen = 0;
    for (;;) {
        struct sctp_rcvinfo info;
        struct sockaddr_storage from;
        socklen_t info_len = sizeof info, from_len = sizeof from;
        unsigned int info_type = 0;
        int flags = 0;
        memset(&info, 0, sizeof info);
        memset(&from, 0, sizeof from);
        errno = 0;
        ssize_t got = lib.usrsctp_recvv(s->so, buffer, max, (struct sockaddr *)&from, &from_len, &info, &info_len,
                                        &info_type, &flags);
        if (got < 0) {
            if (!WOULD_BLOCK(errno)) return fail_now(e, "usrsctp_recvv"), -1;
            if (await(s, SCTP_EVENT_READ, timeout, deadline, &error_seen, "recv", e) < 0) return -1;
            continue;
        }
        if (flags & MSG_NOTIFICATION) continue; /* none are subscribed; never handed on */
        memset(m, 0, sizeof *m);
        m->len = (size_t)got;
        if (got > 0 && info_type == SCTP_RECVV_RCVINFO) {
            m->stream = info.rcv_sid;
            m->ppid = ntohl(info.rcv_ppid);
            m->unordered = (info.rcv_flags & SCTP_UNORDERED) != 0;
        }
        m->eor = (flags & MSG_EOR) != 0;
        if (s->type == SOCK_SEQPACKET && from_len > 0 && (from.ss_family == AF_INET || from.ss_family == AF_INET6))
            m->has_peer = 1, m->peer = from;
        return 0;
    }
}

static int u_shutdown(SctpSocket *s, int how, Error *e) {
    errno = 0;
    if (lib.usrsctp_shutdown(s->so, how) < 0) return fail_now(e, "usrsctp_shutdown"), -1;
    return 0;
}

static void release(SctpSocket *s) {
    close(s->placeholder);
    retire(s->so, s->type);
    free(s);
}

/* A graceful close: SHUTDOWN of each association still up; the reaper frees the socket. */
static void u_close(SctpSocket *s) {
    if (associations(s->so, s->type) > 0) {
        if (s->type == SOCK_STREAM) lib.usrsctp_shutdown(s->so, SHUT_WR);
        else send_flags(s->so, s->type, SCTP_EOF);
    }
    release(s);
}

/* SCTP_ABORT (RFC 6458 §5.3.4): an ABORT chunk at once, then the socket is released. */
static int u_abort(SctpSocket *s, Error *e) {
    int r = 0;
    if (associations(s->so, s->type) > 0) {
        errno = 0;
        if (send_flags(s->so, s->type, SCTP_ABORT) < 0) r = -1, fail_now(e, "usrsctp_sendv(SCTP_ABORT)");
    }
    release(s);
    return r;
}

static int u_local(SctpSocket *s, Address *a) { return local_address(s, a); }
static int u_peer(SctpSocket *s, Address *a) { return peer_address(s, a); }

static const char *state_name(int32_t state) {
    switch (state) {
    case SCTP_CLOSED: /* fall through: no association (a socket bound, or listening) */
    case SCTP_BOUND:
    case SCTP_LISTEN: return "closed";
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

/* The association's id: 0 on a one-to-one socket (its only one); on a one-to-many socket the
 * one whose peer is `to` (SCTP_GET_PEER_ADDR_INFO, RFC 6458 §8.2.2). */
static int association_id(SctpSocket *s, const Address *to, sctp_assoc_t *id, Error *e) {
    *id = 0;
    if (!to) return 0;
    struct sctp_paddrinfo info;
    memset(&info, 0, sizeof info);
    memcpy(&info.spinfo_address, &to->ss, to->len);
    socklen_t len = sizeof info;
    errno = 0;
    if (lib.usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &info, &len) < 0)
        return fail_now(e, "usrsctp_getsockopt(SCTP_GET_PEER_ADDR_INFO)"), -1;
    *id = info.spinfo_assoc_id;
    return 0;
}

static int u_status(SctpSocket *s, const Address *to, SctpStatus *st, Error *e) {
    struct sctp_status status;
    memset(&status, 0, sizeof status);
    if (association_id(s, to, &status.sstat_assoc_id, e) < 0) return -1;
    socklen_t len = sizeof status;
    errno = 0;
    if (lib.usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_STATUS, &status, &len) < 0)
        return fail_now(e, "usrsctp_getsockopt(SCTP_STATUS)"), -1;
    memset(st, 0, sizeof *st);
    const char *state = state_name(status.sstat_state);
    if (state) snprintf(st->state, sizeof st->state, "%s", state);
    else snprintf(st->state, sizeof st->state, "unknown %#x", (int)status.sstat_state);
    st->outstreams = status.sstat_outstrms;
    st->instreams = status.sstat_instrms;
    st->peer_rwnd = status.sstat_rwnd;
    st->primary = status.sstat_primary.spinfo_address;
    return 0;
}

/* Peer address parameters naming no one path (the family's wildcard address, association 0):
 * every path of a one-to-one socket's association, or the defaults of associations to come. */
static void every_path(SctpSocket *s, struct sctp_paddrparams *p) {
    memset(p, 0, sizeof *p);
    p->spp_address.ss_family = (sa_family_t)s->family;
}

static int u_set_hbinterval(SctpSocket *s, long long ms, Error *e) {
    struct sctp_paddrparams p;
    every_path(s, &p);
    if (ms < 0) {
        p.spp_flags = SPP_HB_DISABLE;
    } else {
        p.spp_flags = SPP_HB_ENABLE | (ms == 0 ? SPP_HB_TIME_IS_ZERO : 0);
        p.spp_hbinterval = (uint32_t)ms;
    }
    return set(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &p, sizeof p, e);
}

static json_t *u_get_hbinterval(SctpSocket *s, Error *e) {
    struct sctp_paddrparams p;
    every_path(s, &p);
    socklen_t len = sizeof p;
    errno = 0;
    if (lib.usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &p, &len) < 0)
        return fail_now(e, "usrsctp_getsockopt(SCTP_PEER_ADDR_PARAMS)");
    return p.spp_flags & SPP_HB_DISABLE ? json_null() : json_integer(p.spp_hbinterval);
}

static int u_set_nodelay(SctpSocket *s, int on, Error *e) { return set_int(s, IPPROTO_SCTP, SCTP_NODELAY, on, e); }

static json_t *u_get_nodelay(SctpSocket *s, Error *e) {
    int on = 0;
    socklen_t len = sizeof on;
    errno = 0;
    if (lib.usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_NODELAY, &on, &len) < 0)
        return fail_now(e, "usrsctp_getsockopt(SCTP_NODELAY)");
    return json_boolean(on);
}

static const SctpStack USRSCTP = {
    .name = "usrsctp", .version = u_version, .encaps_port = u_encaps_port, .open = u_open,
    .set_streams = u_set_streams, .bind = u_bind, .listen = u_listen, .connect = u_connect, .accept = u_accept,
    .send = u_send, .recv = u_recv, .shutdown = u_shutdown, .abort = u_abort, .close = u_close,
    .local = u_local, .peer = u_peer, .status = u_status, .set_hbinterval = u_set_hbinterval,
    .get_hbinterval = u_get_hbinterval, .set_nodelay = u_set_nodelay, .get_nodelay = u_get_nodelay,
};

const SctpStack *sctp_usrsctp_stack(void) { return load() ? &USRSCTP : NULL; }

#else /* built without usrsctp.h: no usrsctp */

const SctpStack *sctp_usrsctp_stack(void) { return NULL; }

#endif
