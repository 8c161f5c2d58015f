/* The protocol's values: arguments, base64 data, responses (docs/protocol.md §2). */
#include "proto.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int arg_int(json_t *args, const char *name, long long fallback, int required, long long *out, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!v || json_is_null(v)) {
        if (required) return fail(e, "BADREQUEST", "missing argument '%s'", name), -1;
        *out = fallback;
        return 0;
    }
    if (!json_is_integer(v)) return fail(e, "BADREQUEST", "argument '%s' must be an integer", name), -1;
    *out = json_integer_value(v);
    return 0;
}

const char *arg_str(json_t *args, const char *name, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument '%s' must be a string", name), NULL;
    return json_string_value(v);
}

int arg_timeout(json_t *args, double *out, Error *e) {
    json_t *v = json_object_get(args, "timeout");
    *out = DEFAULT_TIMEOUT;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return fail(e, "BADREQUEST", "timeout must be a number >= 0"), -1;
    *out = json_number_value(v);
    return 0;
}

int arg_family(json_t *args, int *family, Error *e) {
    const char *name = arg_str(args, "family", e);
    if (!name) return -1;
    if (strcmp(name, "ipv4") == 0) *family = AF_INET;
    else if (strcmp(name, "ipv6") == 0) *family = AF_INET6;
    else return fail(e, "BADREQUEST", "unknown family '%s'", name), -1;
    return 0;
}

/* ---- base64 (RFC 4648, via libcrypto) ------------------------------------------------- */

json_t *b64_json(const unsigned char *data, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out) abort();
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    json_t *s = json_stringn(out, (size_t)n);
    free(out);
    return s;
}

/* Strict decoding: the standard alphabet, padded, nothing else. Caller frees *out. */
int b64_arg(json_t *args, unsigned char **out, size_t *len, Error *e) {
    json_t *v = json_object_get(args, "data");
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument 'data' must be a base64 string"), -1;
    const char *text = json_string_value(v);
    size_t n = json_string_length(v), pad = 0;
    if (n % 4) return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=' && i >= n - 2) { pad++; continue; }
        if (!ok || pad) return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    }
    *out = malloc(n / 4 * 3 + 1);
    if (!*out) abort();
    int decoded = n ? EVP_DecodeBlock(*out, (const unsigned char *)text, (int)n) : 0;
    if (decoded < 0) {
        free(*out);
        return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    }
    *len = (size_t)decoded - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    return 0;
}

/* ---- responses -------------------------------------------------------------------------- */

/* {"id", "ok": true, "result"} when there is a result, else {"id", "ok": false, "error"}. */
json_t *make_response(json_t *id, json_t *result, const Error *e) {
    json_t *response = json_pack("{s:O?}", "id", id);
    if (result) {
        json_object_set_new(response, "ok", json_true());
        json_object_set_new(response, "result", result);
    } else {
        json_object_set_new(response, "ok", json_false());
        json_t *error = json_pack("{s:s, s:s}", "code", e->code ? e->code : "EIO", "message", e->message);
        if (e->supplied) json_object_set_new(error, "supplied", json_true());
        json_object_set_new(response, "error", error);
    }
    return response;
}

static void write_all(const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) exit(1); /* the suite went away */
        data += n, len -= (size_t)n;
    }
}

/* One line on stdout, in one write(2); takes the response's reference. */
void write_response(json_t *response) {
    size_t size = json_dumpb(response, NULL, 0, JSON_COMPACT);
    char *text = malloc(size + 1);
    if (!text) abort();
    json_dumpb(response, text, size, JSON_COMPACT);
    text[size] = '\n'; /* one write(2) per response */
    write_all(text, size + 1);
    free(text);
    json_decref(response);
}
