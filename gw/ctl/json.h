/*
 * Minimal JSON for the control protocol (one object per line over a UNIX
 * socket), shared by gwd, gwctl and pstnsim: a growable writer, and a
 * non-allocating tokenizer that indexes a document into a flat token array
 * the caller provides (each token knows where its subtree ends).
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writer ---- */

#define JSON_MAX_DEPTH 32

/* Owns buf (heap). Errors (out of memory, misuse) are sticky in `err`. */
struct json_out {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no comma needed yet at this depth */
	bool after_key;
	int err; /* 0 or -errno */
};

void json_out_init(struct json_out *j);
void json_out_reset(struct json_out *j); /* empty, keeps the buffer */
void json_out_free(struct json_out *j);

void json_obj_begin(struct json_out *j);
void json_obj_end(struct json_out *j);
void json_arr_begin(struct json_out *j);
void json_arr_end(struct json_out *j);
void json_key(struct json_out *j, const char *key);
void json_str(struct json_out *j, const char *s);
void json_strn(struct json_out *j, const char *s, size_t n);
void json_int(struct json_out *j, long long v);
void json_uint(struct json_out *j, unsigned long long v);
void json_double(struct json_out *j, double v);
void json_bool(struct json_out *j, bool v);
void json_null(struct json_out *j);
/* Appends already-encoded JSON (a value) verbatim. */
void json_raw(struct json_out *j, const char *s, size_t n);
/* Appends bytes with no separator logic (e.g. the newline after a line). */
void json_append(struct json_out *j, const char *s, size_t n);
/* Ends a top-level value: appends '\n' and expects a new value next. */
void json_end_line(struct json_out *j);

static inline void json_kv_str(struct json_out *j, const char *k, const char *v)
{
	json_key(j, k);
	if (v)
		json_str(j, v);
	else
		json_null(j);
}
static inline void json_kv_int(struct json_out *j, const char *k, long long v)
{
	json_key(j, k);
	json_int(j, v);
}
static inline void json_kv_uint(struct json_out *j, const char *k,
				unsigned long long v)
{
	json_key(j, k);
	json_uint(j, v);
}
static inline void json_kv_bool(struct json_out *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

/* ---- reader ---- */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUM,
	JSON_STR, /* off/len exclude the quotes; escapes not yet decoded */
	JSON_ARR,
	JSON_OBJ, /* children alternate key (JSON_STR), value */
};

struct json_tok {
	enum json_type type;
	uint32_t off, len; /* text span */
	uint32_t n;	   /* ARR: elements, OBJ: members */
	uint32_t next;	   /* index of the first token after this subtree */
};

struct json_doc {
	const char *text;
	size_t text_len;
	struct json_tok *tok;
	int ntok;
};

/*
 * Tokenizes one JSON value (surrounding white space allowed) into tok[]. The
 * text must outlive doc. Returns 0, -EINVAL (syntax; a message is put in
 * err if given), or -E2BIG (more than max_tok tokens or nesting too deep).
 */
int json_parse(struct json_doc *doc, const char *text, size_t len,
	       struct json_tok *tok, int max_tok, const char **err);

/* Index of member `key` in object token obj, or -1. */
int json_obj_get(const struct json_doc *d, int obj, const char *key);
/* Index of element i of array token arr, or -1. */
int json_arr_at(const struct json_doc *d, int arr, unsigned i);
/* Iteration: index of the first child of a container, then the next sibling. */
static inline int json_child(const struct json_doc *d, int t)
{
	return t >= 0 &&
		       (d->tok[t].type == JSON_ARR ||
			d->tok[t].type == JSON_OBJ) &&
		       d->tok[t].n
		   ? t + 1
		   : -1;
}
static inline int json_sibling(const struct json_doc *d, int t)
{
	return (int)d->tok[t].next;
}

/* Decodes string token t into buf (NUL-terminated). Returns length or -errno.
 */
int json_get_str(const struct json_doc *d, int t, char *buf, size_t cap);
/* True if string token t equals s. */
bool json_str_eq(const struct json_doc *d, int t, const char *s);
/* Integer value of number token t. Returns 0 or -EINVAL/-ERANGE. */
int json_get_int(const struct json_doc *d, int t, long long *v);
int json_get_double(const struct json_doc *d, int t, double *v);
int json_get_bool(const struct json_doc *d, int t, bool *v);

/* Convenience lookups on an object; return the default when absent. */
long long json_obj_int(const struct json_doc *d, int obj, const char *key,
		       long long dflt);
bool json_obj_bool(const struct json_doc *d, int obj, const char *key,
		   bool dflt);
/* Copies the string member into buf; returns buf, or dflt when absent. */
const char *json_obj_str(const struct json_doc *d, int obj, const char *key,
			 char *buf, size_t cap, const char *dflt);

#endif
