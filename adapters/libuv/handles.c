/* The handle table (handles are never reused), closing, reset, and waiting on the loop. */
#include "adapter.h"

static Entry **table; /* indexed by handle; NULL once closed */
static long next_handle = 1, table_size;

Entry *entry_new(Kind kind, int family) {
    Entry *en = calloc(1, sizeof *en);
    if (!en) abort();
    en->kind = kind;
    en->family = family;
    en->u.handle.data = en;
    return en;
}

long entry_register(Entry *en) {
    if (next_handle >= table_size) {
        long grown = table_size ? table_size * 2 : 256;
        table = realloc(table, (size_t)grown * sizeof *table);
        if (!table) abort();
        for (long i = table_size; i < grown; i++) table[i] = NULL;
        table_size = grown;
    }
    en->id = next_handle;
    table[next_handle] = en;
    return next_handle++;
}

/* libuv owns the handle's memory until its close callback: pending requests (writes, a
 * connect, a shutdown) are called back with UV_ECANCELED before it. */
void entry_on_closed(uv_handle_t *h) {
    Entry *en = h->data;
    free(en->rbuf);
    free(en);
}

void entry_forget(Entry *en) {
    if (en->id > 0 && en->id < next_handle && table[en->id] == en) table[en->id] = NULL;
}

void entry_close(Entry *en) {
    entry_forget(en);
    if (en->kind == K_SERVER) {
        server_stop(en->server, NULL);
        free(en);
        return;
    }
    if (en->closing) return;
    en->closing = 1;
    uv_close(&en->u.handle, entry_on_closed);
}

/* A handle made for a request that then failed: closed, never handed out. */
void entry_discard(Entry *en) { entry_close(en); }

json_t *discard_with(Entry *en, Error *e, int err, const char *context) {
    entry_discard(en);
    return fail_uv(e, err, context);
}

/* reset (§5) and the end of stdin: uv_close of everything (close(2) at once: the peer sees
 * end of stream), echo servers stopped; then one turn runs the close callbacks. */
void close_all(void) {
    for (long i = 1; i < next_handle; i++)
        if (table[i]) entry_close(table[i]);
    uv_run(loop, UV_RUN_NOWAIT);
}

Entry *arg_entry(json_t *args, Error *e) {
    long long handle;
    if (arg_int(args, "handle", 0, 1, &handle, e) < 0) return NULL;
    if (handle <= 0 || handle >= next_handle || !table[handle])
        return fail(e, "EBADF", "no open handle %lld", handle), NULL;
    return table[handle];
}

Entry *arg_socket(json_t *args, Error *e) {
    Entry *en = arg_entry(args, e);
    if (en && en->kind == K_SERVER)
        return supply(e, "ENOTSOCK", "handle %ld is an echo server, not a socket", en->id), NULL;
    return en;
}

json_t *op_reset(json_t *args, Error *e) {
    (void)args, (void)e;
    close_all();
    return json_object();
}

json_t *op_close(json_t *args, Error *e) {
    Entry *en = arg_entry(args, e);
    if (!en) return NULL;
    entry_close(en);
    return json_object();
}

/* ---- waiting ----------------------------------------------------------------------------- */

static uv_timer_t timer;
static int timer_ready, timed_out;

static void on_timeout(uv_timer_t *t) {
    (void)t;
    timed_out = 1;
}

/* Let the loop deliver what already reached the process: one turn, polling without waiting. */
void loop_turn(void) { uv_run(loop, UV_RUN_NOWAIT); }

static int flag_set(void *flag) { return *(int *)flag != 0; }
static int counter_zero(void *counter) { return *(int *)counter == 0; }

/* Runs the loop until done(arg) or timeout seconds passed (0: one turn). 1 if done. */
static int run_for(int (*done)(void *), void *arg, double timeout) {
    if (done(arg)) return 1;
    if (timeout <= 0) {
        loop_turn();
        return done(arg);
    }
    if (!timer_ready) {
        uv_timer_init(loop, &timer);
        timer_ready = 1;
    }
    timed_out = 0;
    uint64_t ms = (uint64_t)(timeout * 1000.0 + 0.999); /* round up: never wake early */
    uv_update_time(loop);
    uv_timer_start(&timer, on_timeout, ms, 0);
    while (!done(arg) && !timed_out) uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&timer);
    return done(arg);
}

int run_until(int *flag, double timeout) { return run_for(flag_set, flag, timeout); }
int run_until_zero(int *counter, double timeout) { return run_for(counter_zero, counter, timeout); }

/* The end of stdin: the timer and the table go too, so that nothing is left open. */
void close_timer(void) {
    if (timer_ready) uv_close((uv_handle_t *)&timer, NULL);
    timer_ready = 0;
    free(table);
    table = NULL;
    table_size = 0;
}
