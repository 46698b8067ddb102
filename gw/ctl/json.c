/*
 * JSON writer and tokenizer (see json.h). The tokenizer is strict RFC 8259:
 * it rejects trailing commas, bad escapes, control characters in strings,
 * leading zeros and anything after the top-level value.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- writer ---- */

void json_out_init(struct json_out *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
}

void json_out_reset(struct json_out *j)
{
	j->len = 0;
	j->depth = 0;
	j->after_key = false;
	j->err = 0;
	j->first[0] = true;
	if (j->buf)
		j->buf[0] = '\0';
}

void json_out_free(struct json_out *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

static void put(struct json_out *j, const char *s, size_t n)
{
	if (j->err)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (j->len + n + 1 > cap)
			cap *= 2;
		char *b = realloc(j->buf, cap);
		if (!b) {
			j->err = -ENOMEM;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

/* Emits the separator a new value needs at the current position. */
static void sep(struct json_out *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
}

static void open_(struct json_out *j, char c)
{
	sep(j);
	put(j, &c, 1);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->err = -E2BIG;
		return;
	}
	j->first[++j->depth] = true;
}

static void close_(struct json_out *j, char c)
{
	if (j->depth == 0) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	put(j, &c, 1);
}

void json_obj_begin(struct json_out *j)
{
	open_(j, '{');
}
void json_obj_end(struct json_out *j)
{
	close_(j, '}');
}
void json_arr_begin(struct json_out *j)
{
	open_(j, '[');
}
void json_arr_end(struct json_out *j)
{
	close_(j, ']');
}

static void put_escaped(struct json_out *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put(j, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				put(j, s + i - run, run);
				run = 0;
				put(j, u, 6);
				continue;
			}
			run++;
			continue;
		}
		put(j, s + i - run, run);
		run = 0;
		put(j, esc, strlen(esc));
	}
	put(j, s + n - run, run);
	put(j, "\"", 1);
}

void json_key(struct json_out *j, const char *key)
{
	sep(j);
	put_escaped(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = true;
}

void json_str(struct json_out *j, const char *s)
{
	json_strn(j, s, strlen(s));
}

void json_strn(struct json_out *j, const char *s, size_t n)
{
	sep(j);
	put_escaped(j, s, n);
}

void json_int(struct json_out *j, long long v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", v);
	sep(j);
	put(j, b, (size_t)n);
}

void json_uint(struct json_out *j, unsigned long long v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%llu", v);
	sep(j);
	put(j, b, (size_t)n);
}

void json_double(struct json_out *j, double v)
{
	char b[32];
	int n;
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	n = snprintf(b, sizeof(b), "%.6g", v);
	sep(j);
	put(j, b, (size_t)n);
}

void json_bool(struct json_out *j, bool v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_out *j)
{
	sep(j);
	put(j, "null", 4);
}

void json_raw(struct json_out *j, const char *s, size_t n)
{
	sep(j);
	put(j, s, n);
}

void json_append(struct json_out *j, const char *s, size_t n)
{
	put(j, s, n);
}

void json_end_line(struct json_out *j)
{
	put(j, "\n", 1);
	j->depth = 0;
	j->after_key = false;
	j->first[0] = true;
}

/* ---- tokenizer ---- */

struct parser {
	const char *s;
	size_t len, pos;
	struct json_tok *tok;
	int ntok, max_tok;
	int depth;
	const char *err;
};

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int fail(struct parser *p, const char *msg)
{
	p->err = msg;
	return -EINVAL;
}

static int new_tok(struct parser *p, enum json_type type)
{
	if (p->ntok >= p->max_tok) {
		p->err = "too many tokens";
		return -E2BIG;
	}
	struct json_tok *t = &p->tok[p->ntok];
	t->type = type;
	t->off = (uint32_t)p->pos;
	t->len = 0;
	t->n = 0;
	t->next = 0;
	return p->ntok++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_string(struct parser *p)
{
	int t = new_tok(p, JSON_STR);
	if (t < 0)
		return t;
	p->pos++; /* opening quote */
	p->tok[t].off = (uint32_t)p->pos;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->tok[t].len = (uint32_t)(p->pos - p->tok[t].off);
			p->pos++;
			p->tok[t].next = (uint32_t)p->ntok;
			return 0;
		}
		if (c < 0x20)
			return fail(p, "control character in string");
		if (c == '\\') {
			if (++p->pos >= p->len)
				break;
			c = (unsigned char)p->s[p->pos];
			if (c == 'u') {
				if (p->pos + 4 >= p->len)
					return fail(p, "short \\u escape");
				for (int i = 1; i <= 4; i++)
					if (hexval(p->s[p->pos + i]) < 0)
						return fail(p,
							    "bad \\u escape");
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c)) {
				return fail(p, "bad escape");
			}
		}
		p->pos++;
	}
	return fail(p, "unterminated string");
}

static int parse_number(struct parser *p)
{
	int t = new_tok(p, JSON_NUM);
	if (t < 0)
		return t;
	size_t start = p->pos;
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len)
		return fail(p, "bad number");
	if (p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
	} else {
		return fail(p, "bad number");
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		size_t d = ++p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d)
			return fail(p, "bad fraction");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		size_t d = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d)
			return fail(p, "bad exponent");
	}
	p->tok[t].len = (uint32_t)(p->pos - start);
	p->tok[t].next = (uint32_t)p->ntok;
	return 0;
}

static int parse_word(struct parser *p, const char *w, enum json_type type)
{
	size_t n = strlen(w);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
		return fail(p, "unexpected character");
	int t = new_tok(p, type);
	if (t < 0)
		return t;
	p->tok[t].len = (uint32_t)n;
	p->pos += n;
	p->tok[t].next = (uint32_t)p->ntok;
	return 0;
}

static int parse_value(struct parser *p);

static int parse_container(struct parser *p, bool is_obj)
{
	int t = new_tok(p, is_obj ? JSON_OBJ : JSON_ARR);
	if (t < 0)
		return t;
	if (++p->depth > JSON_MAX_DEPTH) {
		p->err = "nesting too deep";
		return -E2BIG;
	}
	char close = is_obj ? '}' : ']';
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		goto done;
	}
	for (;;) {
		int err;
		skip_ws(p);
		if (is_obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected member name");
			if ((err = parse_string(p)))
				return err;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		if ((err = parse_value(p)))
			return err;
		p->tok[t].n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, "unterminated container");
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		return fail(p, "expected ',' or end of container");
	}
done:
	p->depth--;
	p->tok[t].len = (uint32_t)(p->pos - p->tok[t].off);
	p->tok[t].next = (uint32_t)p->ntok;
	return 0;
}

static int parse_value(struct parser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end of input");
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, true);
	case '[':
		return parse_container(p, false);
	case '"':
		return parse_string(p);
	case 't':
		return parse_word(p, "true", JSON_BOOL);
	case 'f':
		return parse_word(p, "false", JSON_BOOL);
	case 'n':
		return parse_word(p, "null", JSON_NULL);
	default:
		return parse_number(p);
	}
}

int json_parse(struct json_doc *doc, const char *text, size_t len,
	       struct json_tok *tok, int max_tok, const char **err)
{
	struct parser p = {
	    .s = text,
	    .len = len,
	    .tok = tok,
	    .max_tok = max_tok,
	};
	int rc = parse_value(&p);
	if (!rc) {
		skip_ws(&p);
		if (p.pos != p.len)
			rc = fail(&p, "trailing characters");
	}
	if (rc) {
		if (err)
			*err = p.err;
		return rc;
	}
	doc->text = text;
	doc->text_len = len;
	doc->tok = tok;
	doc->ntok = p.ntok;
	return 0;
}

/* ---- accessors ---- */

static bool raw_str_eq(const struct json_doc *d, int t, const char *s)
{
	/* fast path: no escapes in the token */
	const struct json_tok *k = &d->tok[t];
	size_t n = strlen(s);
	if (!memchr(d->text + k->off, '\\', k->len))
		return k->len == n && memcmp(d->text + k->off, s, n) == 0;
	char buf[256];
	int len = json_get_str(d, t, buf, sizeof(buf));
	return len >= 0 && (size_t)len == n && memcmp(buf, s, n) == 0;
}

bool json_str_eq(const struct json_doc *d, int t, const char *s)
{
	return t >= 0 && d->tok[t].type == JSON_STR && raw_str_eq(d, t, s);
}

int json_obj_get(const struct json_doc *d, int obj, const char *key)
{
	if (obj < 0 || d->tok[obj].type != JSON_OBJ)
		return -1;
	int k = json_child(d, obj);
	for (uint32_t i = 0; i < d->tok[obj].n; i++) {
		int v = k + 1;
		if (raw_str_eq(d, k, key))
			return v;
		k = (int)d->tok[v].next;
	}
	return -1;
}

int json_arr_at(const struct json_doc *d, int arr, unsigned i)
{
	if (arr < 0 || d->tok[arr].type != JSON_ARR || i >= d->tok[arr].n)
		return -1;
	int e = arr + 1;
	while (i--)
		e = (int)d->tok[e].next;
	return e;
}

static void put_utf8(char *buf, size_t cap, size_t *n, unsigned cp)
{
	unsigned char u[4];
	size_t k;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	for (size_t i = 0; i < k && *n + 1 < cap; i++)
		buf[(*n)++] = (char)u[i];
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned)hexval(s[i]);
	return v;
}

int json_get_str(const struct json_doc *d, int t, char *buf, size_t cap)
{
	if (t < 0 || d->tok[t].type != JSON_STR || cap == 0)
		return -EINVAL;
	const char *s = d->text + d->tok[t].off;
	size_t len = d->tok[t].len, n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n + 1 >= cap)
			return -ENOSPC;
		if (s[i] != '\\') {
			buf[n++] = s[i];
			continue;
		}
		char c = s[++i];
		switch (c) {
		case 'b':
			buf[n++] = '\b';
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'u': {
			unsigned cp = hex4(s + i + 1);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len &&
			    s[i + 1] == '\\' && s[i + 2] == 'u') {
				unsigned lo = hex4(s + i + 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp == 0)
				return -EINVAL; /* no NULs in C strings */
			put_utf8(buf, cap, &n, cp);
			break;
		}
		default:
			buf[n++] = c;
			break;
		}
	}
	buf[n] = '\0';
	return (int)n;
}

int json_get_int(const struct json_doc *d, int t, long long *v)
{
	if (t < 0 || d->tok[t].type != JSON_NUM)
		return -EINVAL;
	char b[32];
	uint32_t len = d->tok[t].len;
	if (len >= sizeof(b))
		return -ERANGE;
	memcpy(b, d->text + d->tok[t].off, len);
	b[len] = '\0';
	if (strpbrk(b, ".eE"))
		return -EINVAL;
	errno = 0;
	long long x = strtoll(b, NULL, 10);
	if (errno)
		return -ERANGE;
	*v = x;
	return 0;
}

int json_get_double(const struct json_doc *d, int t, double *v)
{
	if (t < 0 || d->tok[t].type != JSON_NUM)
		return -EINVAL;
	char b[64];
	uint32_t len = d->tok[t].len;
	if (len >= sizeof(b))
		return -ERANGE;
	memcpy(b, d->text + d->tok[t].off, len);
	b[len] = '\0';
	*v = strtod(b, NULL);
	return 0;
}

int json_get_bool(const struct json_doc *d, int t, bool *v)
{
	if (t < 0 || d->tok[t].type != JSON_BOOL)
		return -EINVAL;
	*v = d->text[d->tok[t].off] == 't';
	return 0;
}

long long json_obj_int(const struct json_doc *d, int obj, const char *key,
		       long long dflt)
{
	long long v;
	return json_get_int(d, json_obj_get(d, obj, key), &v) ? dflt : v;
}

bool json_obj_bool(const struct json_doc *d, int obj, const char *key,
		   bool dflt)
{
	bool v;
	return json_get_bool(d, json_obj_get(d, obj, key), &v) ? dflt : v;
}

const char *json_obj_str(const struct json_doc *d, int obj, const char *key,
			 char *buf, size_t cap, const char *dflt)
{
	return json_get_str(d, json_obj_get(d, obj, key), buf, cap) < 0 ? dflt
									: buf;
}
