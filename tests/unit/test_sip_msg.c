/*
 * Unit tests for the SIP message parser (gw/sip/sip_msg.c, sip_hdr.c),
 * the UAS checks (sip_check.c) and the response printer (sip_print.c).
 * The RFC 4475 torture messages are driven by tests/vectors/rfc4475/
 * INDEX.md, read at run time: one test "rfc4475.<file>" per table row.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "sip/sip_msg.h"
#include "tests/unit/t.h"

/* What the tests' UAS supports: a SIP-PSTN gateway taking SDP and SIP-T
 * multipart bodies. */
static const char *const supported[] = {"100rel", "timer", "replaces", NULL};
static const char *const accept_types[] = {"application/sdp", "multipart/mixed",
					   NULL};
static const char *const produce[] = {"application/sdp", NULL};
static const struct sip_check_conf uas = {
    .supported = supported,
    .accept = accept_types,
    .produce = produce,
};

static int parse_str(struct sip_msg *m, const char *s)
{
	size_t used;
	return sip_msg_parse(m, s, strlen(s), false, &used);
}

/* --- RFC 4475, driven by INDEX.md ---------------------------------------- */

#define MAX_VECTORS 64

struct vector {
	char file[64];
	char expected[160];
	char name[80];
	struct t_case tc;
};

static struct vector vectors[MAX_VECTORS];
static int n_vectors;
static const char *index_error; /* set when INDEX.md could not be read */

/* Joins a NULL-terminated list or views with ", " after a prefix. */
static void join(char *buf, size_t cap, const char *prefix,
		 const char *const *strs, const struct pl *pls, int n)
{
	size_t len = (size_t)snprintf(buf, cap, "%s", prefix);
	for (int i = 0; strs ? strs[i] != NULL : i < n; i++) {
		if (strs)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s",
						i ? ", " : "", strs[i]);
		else
			len += (size_t)snprintf(buf + len, cap - len, "%s%.*s",
						i ? ", " : "", (int)pls[i].l,
						pls[i].p);
		if (len >= cap)
			return;
	}
	snprintf(buf + len, cap - len, "\r\n");
}

/* A request that passed: its 200 must print, re-parse and pass too. */
static bool answer_roundtrip(const struct vector *v, const struct sip_msg *m)
{
	char out[8192];
	struct sip_msg r;
	struct sip_check_result res;
	int n = sip_print_response(out, sizeof(out), m, 200, NULL, "gw1");
	if (n > 0)
		n = sip_print_end(out, sizeof(out), (size_t)n, NULL, 0);
	if (n < 0)
		return t_fail(__FILE__, __LINE__, "%s: print %d", v->file, n);
	size_t used;
	/* the echoed To of intmeth.dat holds a NUL: use the length */
	if (sip_msg_parse(&r, out, (size_t)n, false, &used) != 0 || r.request ||
	    r.status != 200)
		return t_fail(__FILE__, __LINE__, "%s: reparse: %s", v->file,
			      r.err_reason ? r.err_reason : "");
	if (sip_check(&r, NULL, &res) != 0)
		return t_fail(__FILE__, __LINE__, "%s: 200 fails check: %s",
			      v->file, res.reason);
	return true;
}

/* 420 must list the Require tags, 415 must give our Accept list. */
static bool check_extra_hdrs(const struct vector *v, const struct sip_msg *m,
			     const struct sip_check_result *r)
{
	char got[512], want[512];
	struct pl tags[SIP_CHECK_MAX_TAGS];
	if (sip_check_print_hdrs(r, got, sizeof(got)) < 0)
		return t_fail(__FILE__, __LINE__, "%s: print hdrs", v->file);
	if (r->status == 420) {
		int n =
		    sip_msg_tags(m, SIP_HDR_REQUIRE, tags, SIP_CHECK_MAX_TAGS);
		if (n <= 0)
			return t_fail(__FILE__, __LINE__, "%s: no Require",
				      v->file);
		join(want, sizeof(want), "Unsupported: ", NULL, tags, n);
	} else if (r->status == 415) {
		join(want, sizeof(want), "Accept: ", accept_types, NULL, 0);
	} else {
		return true;
	}
	if (strcmp(got, want) != 0)
		return t_fail(__FILE__, __LINE__, "%s: got \"%s\" want \"%s\"",
			      v->file, got, want);
	return true;
}

/* Codes in the expected column: "(NNN)", "answer NNN", "(MMM also ...)" */
static int code_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	return p ? atoi(p + strlen(key)) : 0;
}

static void check_vector(const struct vector *v, const char *buf, size_t len)
{
	struct sip_msg m;
	struct sip_check_result r;
	size_t used;
	const char *e = v->expected;
	int rc = sip_msg_parse(&m, buf, len, false, &used);
	int st = rc == 0 ? sip_check(&m, &uas, &r) : -1;
	const char *why = rc ? m.err_reason : st > 0 ? r.reason : "ok";
	if (strncmp(e, "valid", 5) == 0) {
		if (rc != 0 || st != 0)
			t_fail(__FILE__, __LINE__, "%s: rc %d status %d (%s)",
			       v->file, rc, st, why);
		else if (m.request)
			answer_roundtrip(v, &m);
	} else if (strncmp(e, "invalid", 7) == 0) {
		int code = code_after(e, "(");
		if (rc == 0 && st == 0)
			t_fail(__FILE__, __LINE__, "%s: accepted", v->file);
		else if (strstr(e, "response: discard") && rc == 0 && m.request)
			t_fail(__FILE__, __LINE__, "%s: not a response",
			       v->file);
		else if (code >= 100 && (rc ? m.err_status : st) != code)
			t_fail(__FILE__, __LINE__,
			       "%s: status %d (%s), want %d", v->file,
			       rc ? m.err_status : st, why, code);
	} else if (strncmp(e, "parses; answer ", 15) == 0) {
		int code = code_after(e, "answer ");
		int alt = code_after(e, "(");
		if (rc != 0)
			t_fail(__FILE__, __LINE__, "%s: rc %d (%s)", v->file,
			       rc, why);
		else if (st != code && st != alt)
			t_fail(__FILE__, __LINE__,
			       "%s: status %d (%s), want %d", v->file, st, why,
			       code);
		else
			check_extra_hdrs(v, &m, &r);
	} else {
		t_fail(__FILE__, __LINE__, "%s: unknown verdict \"%s\"",
		       v->file, e);
	}
}

static void run_vector(int i)
{
	char path[512];
	size_t len;
	const struct vector *v = &vectors[i];
	char rel[128];
	snprintf(rel, sizeof(rel), "tests/vectors/rfc4475/%s", v->file);
	char *buf = t_read_file(t_vector_path(rel, path, sizeof(path)), &len);
	if (!buf) {
		t_fail(__FILE__, __LINE__, "missing %s", path);
		return;
	}
	check_vector(v, buf, len);
	free(buf);
}

/* One entry point per vector, so each gets its own PASS/FAIL line. */
#define V(i)                                                                   \
	static void vec_##i(void)                                              \
	{                                                                      \
		run_vector(i);                                                 \
	}
#define V8(a, b, c, d, e, f, g, h) V(a) V(b) V(c) V(d) V(e) V(f) V(g) V(h)
V8(0, 1, 2, 3, 4, 5, 6, 7)
V8(8, 9, 10, 11, 12, 13, 14, 15)
V8(16, 17, 18, 19, 20, 21, 22, 23)
V8(24, 25, 26, 27, 28, 29, 30, 31)
V8(32, 33, 34, 35, 36, 37, 38, 39)
V8(40, 41, 42, 43, 44, 45, 46, 47)
V8(48, 49, 50, 51, 52, 53, 54, 55)
V8(56, 57, 58, 59, 60, 61, 62, 63)
#define F8(a, b, c, d, e, f, g, h)                                             \
	vec_##a, vec_##b, vec_##c, vec_##d, vec_##e, vec_##f, vec_##g, vec_##h
static t_fn *const vec_fns[MAX_VECTORS] = {
    F8(0, 1, 2, 3, 4, 5, 6, 7),		F8(8, 9, 10, 11, 12, 13, 14, 15),
    F8(16, 17, 18, 19, 20, 21, 22, 23), F8(24, 25, 26, 27, 28, 29, 30, 31),
    F8(32, 33, 34, 35, 36, 37, 38, 39), F8(40, 41, 42, 43, 44, 45, 46, 47),
    F8(48, 49, 50, 51, 52, 53, 54, 55), F8(56, 57, 58, 59, 60, 61, 62, 63),
};

/* Copies the trimmed cell text of a markdown table row. */
static char *cell(char *s, char *out, size_t cap)
{
	char *bar = strchr(s, '|');
	if (!bar)
		return NULL;
	*bar = '\0';
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	snprintf(out, cap, "%.*s", (int)n, s);
	return bar + 1;
}

/* Reads INDEX.md rows "| section | file | what | expected |". */
static void load_index(void)
{
	char path[512], sec[32], what[256];
	size_t len;
	char *buf = t_read_file(
	    t_vector_path("tests/vectors/rfc4475/INDEX.md", path, sizeof(path)),
	    &len);
	if (!buf) {
		index_error = "cannot read tests/vectors/rfc4475/INDEX.md";
		return;
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "| 3.", 4) != 0)
			continue;
		if (n_vectors == MAX_VECTORS) {
			index_error = "more rows than MAX_VECTORS";
			break;
		}
		struct vector *v = &vectors[n_vectors];
		char *p = line + 1;
		if (!(p = cell(p, sec, sizeof(sec))) ||
		    !(p = cell(p, v->file, sizeof(v->file))) ||
		    !(p = cell(p, what, sizeof(what))) ||
		    !cell(p, v->expected, sizeof(v->expected))) {
			index_error = "malformed INDEX.md row";
			continue;
		}
		size_t stem = strcspn(v->file, ".");
		memcpy(v->name, "rfc4475.", 8);
		memcpy(v->name + 8, v->file, stem); /* file < 64 < name - 8 */
		v->name[8 + stem] = '\0';
		v->tc = (struct t_case){v->name, vec_fns[n_vectors], NULL};
		t_register(&v->tc);
		n_vectors++;
	}
	free(buf);
}

__attribute__((constructor)) static void register_vectors(void)
{
	load_index();
}

/* The table lists every message file, and all 49 of RFC 4475. */
TEST(rfc4475_index)
{
	char path[512];
	int files = 0;
	CHECK(index_error == NULL);
	CHECK_INT(n_vectors, 49);
	DIR *d =
	    opendir(t_vector_path("tests/vectors/rfc4475", path, sizeof(path)));
	CHECK(d != NULL);
	for (struct dirent *de; (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".dat") != 0)
			continue;
		files++;
		int i;
		for (i = 0; i < n_vectors; i++)
			if (strcmp(vectors[i].file, de->d_name) == 0)
				break;
		if (i == n_vectors)
			t_fail(__FILE__, __LINE__, "%s not in INDEX.md",
			       de->d_name);
	}
	closedir(d);
	CHECK_INT(files, n_vectors);
}

/* --- Vectors in detail ---------------------------------------------------- */

static char *read_vec(const char *file, size_t *len)
{
	char path[512], rel[128];
	snprintf(rel, sizeof(rel), "tests/vectors/rfc4475/%s", file);
	return t_read_file(t_vector_path(rel, path, sizeof(path)), len);
}

static void wsinv_checks(const struct sip_msg *m)
{
	const struct sip_hdr *h;
	struct sip_addr a;
	struct sip_cseq cs;
	struct sip_via v;
	struct sip_iter it = SIP_ITER_INIT;
	unsigned mf;
	char buf[128];

	CHECK_INT(m->method, SIP_METHOD_INVITE);
	CHECK_MEM(m->ruri.p, m->ruri.l,
		  "sip:vivekg@chair-dnrc.example.com;unknownparam");
	CHECK(sip_unfold_eq(sip_msg_hdr(m, SIP_HDR_OTHER)->val,
			    "newfangled value continued newfangled value"));
	h = sip_msg_hdr_by_name(m, "newfangledheader");
	CHECK(h && h->folded && h->id == SIP_HDR_OTHER);
	CHECK_INT(sip_unfold(h->val, buf, sizeof(buf)), 43);
	CHECK_STR(buf, "newfangled value continued newfangled value");
	CHECK_INT(sip_unfold(h->val, buf, 5), 43); /* truncated, sized */
	CHECK_STR(buf, "newf");
	/* "s :" is the compact Subject, empty */
	h = sip_msg_hdr(m, SIP_HDR_SUBJECT);
	CHECK(h && h->val.l == 0);
	CHECK_INT(sip_msg_to(m, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:vivekg@chair-dnrc.example.com");
	CHECK_MEM(a.tag.p, a.tag.l, "1918181833n");
	CHECK_INT(sip_msg_from(m, &a), 0);
	CHECK(a.dname_quoted && a.angle);
	CHECK_MEM(a.dname.p, a.dname.l, "J Rosenberg \\\\\\\"");
	CHECK_MEM(a.tag.p, a.tag.l, "98asjd8");
	CHECK_INT(sip_msg_max_forwards(m, &mf), 0);
	CHECK_INT(mf, 68);
	CHECK_INT(sip_msg_cseq(m, &cs), 0);
	CHECK_INT(cs.num, 9);
	CHECK_INT(cs.method, SIP_METHOD_INVITE);
	/* three Vias on two lines, LWS everywhere */
	CHECK_INT(sip_msg_via_next(m, &it, &v), 0);
	CHECK_MEM(v.transport.p, v.transport.l, "UDP");
	CHECK_MEM(v.host.p, v.host.l, "192.0.2.2");
	CHECK_MEM(v.branch.p, v.branch.l, "390skdjuw");
	CHECK_INT(sip_msg_via_next(m, &it, &v), 0);
	CHECK_MEM(v.transport.p, v.transport.l, "TCP");
	CHECK_MEM(v.host.p, v.host.l, "spindle.example.com");
	CHECK_MEM(v.branch.p, v.branch.l, "z9hG4bK9ikj8");
	CHECK_INT(sip_msg_via_next(m, &it, &v), 0);
	CHECK_MEM(v.host.p, v.host.l, "192.168.255.111");
	CHECK_MEM(v.branch.p, v.branch.l, "z9hG4bK30239");
	CHECK_INT(sip_msg_via_next(m, &it, &v), -ENOENT);
	CHECK_INT(m->n_via, 3);
	it = (struct sip_iter)SIP_ITER_INIT;
	CHECK_INT(sip_msg_addr_next(m, SIP_HDR_CONTACT, &it, &a), 0);
	CHECK_MEM(a.dname.p, a.dname.l, "Quoted string \\\"\\\"");
	struct pl q;
	CHECK_INT(sip_param_find(a.params, "Q", &q), 0);
	CHECK_MEM(q.p, q.l, "0.33");
	CHECK_INT(sip_param_find(a.params, "newparam", &q), 0);
	CHECK_MEM(q.p, q.l, "newvalue");
	CHECK_INT(sip_param_find(a.params, "secondparam", &q), 0);
	CHECK(!q.p);
	CHECK_INT(sip_param_find(a.params, "absent", &q), -ENOENT);
	CHECK_INT(sip_msg_addr_next(m, SIP_HDR_CONTACT, &it, &a), -ENOENT);
	CHECK_INT(m->body.l, 150);
	CHECK_INT(m->clen, 150);
}

TEST(wsinv_details)
{
	size_t len;
	char *buf = read_vec("wsinv.dat", &len);
	struct sip_msg m;
	CHECK(buf);
	int rc = parse_str(&m, buf);
	if (rc == 0)
		wsinv_checks(&m);
	else
		t_fail(__FILE__, __LINE__, "rc %d", rc);
	free(buf);
}

TEST(dblreq_trailing_ignored)
{
	size_t len, used;
	char *buf = read_vec("dblreq.dat", &len);
	struct sip_msg m;
	CHECK(buf);
	int rc = sip_msg_parse(&m, buf, len, false, &used);
	int rc2 = -1;
	size_t len1 = m.len, used2 = 0;
	if (rc == 0) /* the same bytes on a stream: two messages */
		rc2 = sip_msg_parse(&m, buf, len, true, &used);
	size_t off = used;
	int rc3 = rc2 == 0
		      ? sip_msg_parse(&m, buf + off, len - off, true, &used2)
		      : -1;
	enum sip_method meth = m.method;
	size_t blen = m.body.l;
	free(buf);
	CHECK_INT(rc, 0);
	CHECK(len1 < len);
	CHECK_INT(rc2, 0);
	CHECK_INT(off, len1);
	CHECK_INT(rc3, 0);
	CHECK_INT(meth, SIP_METHOD_INVITE);
	CHECK_INT(blen, 150); /* Content-Length bounds the body */
	CHECK(off + used2 < len);
}

TEST(bext01_unsupported_list)
{
	size_t len;
	char *buf = read_vec("bext01.dat", &len);
	struct sip_msg m;
	struct sip_check_result r;
	char hdrs[256];
	CHECK(buf);
	int rc = parse_str(&m, buf);
	int st = rc ? -1 : sip_check(&m, &uas, &r);
	int n = st == 420 ? sip_check_print_hdrs(&r, hdrs, sizeof(hdrs)) : -1;
	struct sip_check_conf proxy = uas;
	proxy.proxy = true;
	int st2 = rc ? -1 : sip_check(&m, &proxy, &r);
	unsigned n2 = r.n_unsupported;
	free(buf);
	CHECK_INT(st, 420);
	CHECK_INT(n, (int)strlen(hdrs));
	CHECK_STR(hdrs, "Unsupported: nothingSupportsThis, "
			"nothingSupportsThisEither\r\n");
	CHECK_INT(st2, 420);
	CHECK_INT(n2, 4); /* as a proxy, Proxy-Require's tags too */
}

/* --- Header names ----------------------------------------------------------
 */

TEST(header_names_roundtrip)
{
	char up[64], low[64];
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *n = sip_hdr_name((enum sip_hdr_id)id);
		size_t l = strlen(n);
		CHECK(l > 1 && l < sizeof(up));
		for (size_t i = 0; i <= l; i++) {
			up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32
								  : n[i]);
			low[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32
								   : n[i]);
		}
		CHECK_INT(sip_hdr_lookup(pl_from(n)), id);
		CHECK_INT(sip_hdr_lookup(pl_from(up)), id);
		CHECK_INT(sip_hdr_lookup(pl_from(low)), id);
	}
	CHECK_INT(sip_hdr_lookup(pl_from("X-Unknown")), SIP_HDR_OTHER);
	CHECK_INT(sip_hdr_lookup(pl_from("Vias")), SIP_HDR_OTHER);
	CHECK_INT(sip_hdr_lookup(pl_from("Toe")), SIP_HDR_OTHER);
	CHECK_INT(sip_hdr_lookup(pl_from("q")), SIP_HDR_OTHER);
}

TEST(compact_forms)
{
	static const struct {
		const char *c;
		enum sip_hdr_id id;
	} forms[] = {
	    {"i", SIP_HDR_CALL_ID},
	    {"m", SIP_HDR_CONTACT},
	    {"e", SIP_HDR_CONTENT_ENCODING},
	    {"l", SIP_HDR_CONTENT_LENGTH},
	    {"c", SIP_HDR_CONTENT_TYPE},
	    {"f", SIP_HDR_FROM},
	    {"s", SIP_HDR_SUBJECT},
	    {"k", SIP_HDR_SUPPORTED},
	    {"t", SIP_HDR_TO},
	    {"v", SIP_HDR_VIA},
	    {"o", SIP_HDR_EVENT},
	    {"r", SIP_HDR_REFER_TO},
	    {"b", SIP_HDR_REFERRED_BY},
	    {"u", SIP_HDR_ALLOW_EVENTS},
	    {"x", SIP_HDR_SESSION_EXPIRES},
	    {"a", SIP_HDR_ACCEPT_CONTACT},
	    {"j", SIP_HDR_REJECT_CONTACT},
	    {"d", SIP_HDR_REQUEST_DISPOSITION},
	    {"y", SIP_HDR_IDENTITY},
	    {"n", SIP_HDR_IDENTITY_INFO},
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char up[2] = {(char)(forms[i].c[0] - 32), 0};
		CHECK_INT(sip_hdr_lookup(pl_from(forms[i].c)), forms[i].id);
		CHECK_INT(sip_hdr_lookup(pl_from(up)), forms[i].id);
	}
	static const char msg[] =
	    "OPTIONS sip:gw@example.com SIP/2.0\r\n"
	    "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
	    "f: <sip:a@example.com>;tag=1\r\n"
	    "T: sip:gw@example.com\r\n"
	    "i: c1@a\r\n"
	    "CSEQ: 1 OPTIONS\r\n"
	    "k: timer, 100rel\r\n"
	    "X-Custom : hello\r\n"
	    "L: 0\r\n\r\n";
	struct sip_msg m;
	struct pl tags[4];
	CHECK_INT(parse_str(&m, msg), 0);
	CHECK_INT(m.n_hdr, 8);
	CHECK(sip_msg_hdr(&m, SIP_HDR_VIA) == &m.hdr[0]);
	CHECK(sip_msg_hdr(&m, SIP_HDR_TO) == &m.hdr[2]);
	CHECK_MEM(m.hdr[2].name.p, m.hdr[2].name.l, "T");
	CHECK_INT(m.hdr[6].id, SIP_HDR_OTHER);
	CHECK_MEM(m.hdr[6].name.p, m.hdr[6].name.l, "X-Custom");
	CHECK_MEM(m.hdr[6].val.p, m.hdr[6].val.l, "hello");
	CHECK(sip_msg_hdr_by_name(&m, "x-custom") == &m.hdr[6]);
	CHECK_INT(sip_msg_tags(&m, SIP_HDR_SUPPORTED, tags, 4), 2);
	CHECK_MEM(tags[1].p, tags[1].l, "100rel");
	CHECK_INT(sip_msg_tags(&m, SIP_HDR_SUPPORTED, tags, 1), -E2BIG);
	CHECK(m.has_clen && m.clen == 0);
	struct sip_check_result r;
	CHECK_INT(sip_check(&m, &uas, &r), 0);
}

/* --- Lists and folding ---------------------------------------------------- */

TEST(list_split_quotes_and_brackets)
{
	struct pl e[8];
	int n = sip_list_split(pl_from("\"Bell, Alexander\" <sip:a@b>;tag=1 , "
				       "<sip:c,d@e;x=\"p,q\">,sip:x@y ;q=0.5, "
				       "\"q\\\",\\\\\" <sip:z@w>"),
			       e, 8);
	CHECK_INT(n, 4);
	CHECK_MEM(e[0].p, e[0].l, "\"Bell, Alexander\" <sip:a@b>;tag=1");
	CHECK_MEM(e[1].p, e[1].l, "<sip:c,d@e;x=\"p,q\">");
	CHECK_MEM(e[2].p, e[2].l, "sip:x@y ;q=0.5");
	CHECK_MEM(e[3].p, e[3].l, "\"q\\\",\\\\\" <sip:z@w>");
	CHECK_INT(sip_list_split(pl_from("a,,b,"), e, 8), 4);
	CHECK_INT(e[1].l, 0);
	CHECK_INT(e[3].l, 0);
	CHECK_INT(sip_list_split(pl_from("a,b,c"), e, 2), -E2BIG);

	struct sip_addr a;
	CHECK_INT(sip_addr_parse(&a, e[0], false), -EBADMSG);
	CHECK_INT(sip_addr_parse(&a,
				 pl_from("\"Bell, Alexander\" <sip:a@b>"
					 ";tag=1"),
				 false),
		  0);
	CHECK_MEM(a.dname.p, a.dname.l, "Bell, Alexander");
}

TEST(values_across_lines)
{
	static const char msg[] =
	    "INVITE sip:gw@example.com SIP/2.0\r\n"
	    "Route: <sip:p1.example.com;lr>,\r\n"
	    "  <sip:p2.example.com;lr>\r\n"
	    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
	    "Route: <sip:p3.example.com;lr>\r\n"
	    "Route:\r\n"
	    "Supported:\r\n"
	    "l: 0\r\n\r\n";
	struct sip_msg m;
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	struct pl tags[2];
	CHECK_INT(parse_str(&m, msg), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 3);
	CHECK(m.hdr[0].folded);
	CHECK(sip_unfold_eq(m.hdr[0].val, "<sip:p1.example.com;lr>, "
					  "<sip:p2.example.com;lr>"));
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p1.example.com;lr");
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p2.example.com;lr");
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p3.example.com;lr");
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), -ENOENT);
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), -ENOENT);
	CHECK_INT(sip_msg_tags(&m, SIP_HDR_SUPPORTED, tags, 2), 0);
}

TEST(unfold_helper)
{
	char buf[32];
	struct pl v = pl_from("a \r\n\t b\t c\r\n d");
	CHECK_INT(sip_unfold(v, buf, sizeof(buf)), 8);
	CHECK_STR(buf, "a b\t c d");
	CHECK(sip_unfold_eq(v, "a b\t c d"));
	CHECK(!sip_unfold_eq(v, "a b\t c"));
	CHECK(!sip_unfold_eq(v, "a b\t c dd"));
	CHECK_INT(sip_unfold(pl_from(""), buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
}

/* --- Via -------------------------------------------------------------------
 */

TEST(via_params)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, pl_from("SIP/2.0/UDP pc33.example.com:5066"
					    ";branch=z9hG4bK776asdhds"
					    ";received=192.0.2.1;rport=5060"
					    ";maddr=224.2.0.1;ttl=16;x=\"y\"")),
		  0);
	CHECK_MEM(v.proto.p, v.proto.l, "SIP");
	CHECK_MEM(v.version.p, v.version.l, "2.0");
	CHECK_MEM(v.transport.p, v.transport.l, "UDP");
	CHECK_MEM(v.host.p, v.host.l, "pc33.example.com");
	CHECK_INT(v.port, 5066);
	CHECK_MEM(v.branch.p, v.branch.l, "z9hG4bK776asdhds");
	CHECK_MEM(v.received.p, v.received.l, "192.0.2.1");
	CHECK(pl_isset(v.rport));
	CHECK_INT(v.rport_port, 5060);
	CHECK_MEM(v.maddr.p, v.maddr.l, "224.2.0.1");
	CHECK_INT(v.ttl, 16);
	CHECK_MEM(v.params.p, v.params.l,
		  ";branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5060"
		  ";maddr=224.2.0.1;ttl=16;x=\"y\"");

	/* RFC 3581: rport without a value in a request */
	CHECK_INT(
	    sip_via_parse(&v, pl_from("SIP/2.0/TCP h;rport;branch=z9hG4bKx")),
	    0);
	CHECK(pl_isset(v.rport) && v.rport.l == 0 && v.rport_port == 0);
	CHECK_INT(v.port, 0);
	CHECK_INT(v.ttl, -1);
	CHECK(!pl_isset(v.received));
	/* RFC 2543 peers: no branch at all */
	CHECK_INT(sip_via_parse(&v, pl_from("SIP/2.0/UDP iftgw.example.com")),
		  0);
	CHECK(!pl_isset(v.branch) && !pl_isset(v.params));

	static const char *const bad[] = {
	    "SIP/2.0/UDP h;ttl=256",
	    "SIP/2.0/UDP h;rport=65536",
	    "SIP/2.0/UDP h;received=host.example.com",
	    "SIP/2.0/UDP h;branch",
	    "SIP/2.0/UDP h;branch=\"q\"",
	    "SIP/2.0/UDP h;;",
	    "SIP/2.0/UDP h:",
	    "SIP/2.0/UDP h:70000",
	    "SIP/2.0/UDP",
	    "SIP/2.0 h",
	    "SIP/2.0/UDPh",
	    "SIP/2.0/UDP h junk",
	    "SIP/2.0/UDP [2001:db8::1",
	    "SIP/2.0/UDP h;maddr=[::g]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_via_parse(&v, pl_from(bad[i])) != -EBADMSG)
			t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

TEST(ipv6_references)
{
	struct sip_via v;
	struct sip_uri u;
	CHECK_INT(sip_via_parse(&v, pl_from("SIP/2.0/TCP [2001:db8::9:1]:5061"
					    ";branch=z9hG4bKas3"
					    ";received=[2001:db8::9:255]")),
		  0);
	CHECK(v.host_ipv6);
	CHECK_MEM(v.host.p, v.host.l, "2001:db8::9:1");
	CHECK_INT(v.port, 5061);
	CHECK_MEM(v.received.p, v.received.l, "[2001:db8::9:255]");
	CHECK_INT(sip_via_parse(&v, pl_from("SIP/2.0/UDP [::1];received=::2")),
		  0);
	CHECK_INT(v.port, 0);
	CHECK_INT(sip_via_parse(&v, pl_from("SIP/2.0/UDP [::1] : 5060")), 0);
	CHECK_INT(v.port, 5060);
	/* RFC 5118 §4.1-style URIs */
	CHECK_INT(sip_uri_parse(&u, pl_from("sip:[2001:db8::10]:5070")), 0);
	CHECK(u.host_ipv6 && u.port == 5070);
	CHECK_INT(sip_uri_parse(&u, pl_from("sip:user@[2001:db8::10];maddr="
					    "[2001:db8::20]")),
		  0);
	CHECK_INT(sip_uri_parse(&u, pl_from("sip:[2001:db8::10:5070]")), 0);
	CHECK_INT(u.port, 0);
	CHECK_INT(sip_uri_parse(&u, pl_from("sip:2001:db8::10")), -EINVAL);
	CHECK_INT(sip_uri_parse(&u, pl_from("sip:[2001:db8:::10]")), -EINVAL);
}

/* --- Addresses -------------------------------------------------------------
 */

TEST(name_addr_vs_addr_spec)
{
	struct sip_addr a;
	/* addr-spec: a ';' starts header params (§20.10) */
	CHECK_INT(
	    sip_addr_parse(&a, pl_from("sip:a@b;user=phone;tag=x"), false), 0);
	CHECK(!a.angle);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:a@b");
	CHECK_MEM(a.params.p, a.params.l, ";user=phone;tag=x");
	CHECK_MEM(a.tag.p, a.tag.l, "x");
	/* name-addr: URI params stay in the URI */
	CHECK_INT(
	    sip_addr_parse(&a, pl_from("<sip:a@b;user=phone>;tag=x"), false),
	    0);
	CHECK(a.angle && !pl_isset(a.dname));
	CHECK_MEM(a.uri.p, a.uri.l, "sip:a@b;user=phone");
	CHECK_MEM(a.tag.p, a.tag.l, "x");
	CHECK_INT(sip_addr_parse(&a, pl_from("Bob  Smith <sip:a@b>"), false),
		  0);
	CHECK(!a.dname_quoted);
	CHECK_MEM(a.dname.p, a.dname.l, "Bob  Smith");
	CHECK(!pl_isset(a.tag) && !pl_isset(a.params));
	CHECK_INT(sip_addr_parse(&a, pl_from("caller<sip:a@b>"), false), 0);
	CHECK_MEM(a.dname.p, a.dname.l, "caller");
	CHECK_INT(sip_addr_parse(&a, pl_from("\"\" <tel:+1-2>"), false), 0);
	CHECK(a.dname_quoted && a.dname.l == 0);
	CHECK_INT(sip_addr_parse(&a, pl_from("*"), true), 0);
	CHECK(a.star);
	CHECK_INT(sip_addr_parse(&a, pl_from("*"), false), -EBADMSG);

	static const char *const bad[] = {
	    "sip:a@b?subject=x", /* '?' needs <> */
	    "< sip:a@b>",	 /* LWS inside <> */
	    "<sip:a@b >",
	    "Bell, Alexander <sip:a@b>", /* non-token display name */
	    "\"unterminated <sip:a@b>",
	    "<sip:a@b",
	    "sip:a@b;tag", /* tag needs a value */
	    "sip:a@b;tag=\"q\"",
	    "<sip:a@b>;;",
	    "<sip:a@b> junk",
	    "nouri",
	    "\"name\" sip:a@b",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_addr_parse(&a, pl_from(bad[i]), false) != -EBADMSG)
			t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

TEST(tags_and_scalars)
{
	static const char msg[] =
	    "BYE sip:gw@192.0.2.9 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
	    "From: \"A\" <sip:a@example.com>;tag=a73kszlfl\r\n"
	    "To: <sip:gw@example.com>;TAG=gw-77\r\n"
	    "Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.1\r\n"
	    "CSeq: 2147483647 BYE\r\n"
	    "Max-Forwards: 255\r\n"
	    "Expires: 4294967295\r\n"
	    "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m;
	struct sip_addr a;
	struct sip_cseq cs;
	struct pl id;
	unsigned mf;
	uint32_t ex;
	int64_t t;
	CHECK_INT(parse_str(&m, msg), 0);
	CHECK_INT(sip_msg_from(&m, &a), 0);
	CHECK_MEM(a.tag.p, a.tag.l, "a73kszlfl");
	CHECK_INT(sip_msg_to(&m, &a), 0);
	CHECK_MEM(a.tag.p, a.tag.l, "gw-77");
	CHECK_INT(sip_msg_callid(&m, &id), 0);
	CHECK_MEM(id.p, id.l, "1j9FpLxk3uxtm8tn@192.0.2.1");
	CHECK_INT(sip_msg_cseq(&m, &cs), 0);
	CHECK_INT(cs.num, 2147483647);
	CHECK_INT(cs.method, SIP_METHOD_BYE);
	CHECK_INT(sip_msg_max_forwards(&m, &mf), 0);
	CHECK_INT(mf, 255);
	CHECK_INT(sip_msg_expires(&m, &ex), 0);
	CHECK_INT(ex, 4294967295u);
	CHECK_INT(sip_msg_date(&m, &t), 0);
	CHECK_INT(t, 1289690940);
	struct sip_check_result r;
	CHECK_INT(sip_check(&m, &uas, &r), 0);

	struct sip_cseq c;
	CHECK_INT(sip_cseq_parse(&c, pl_from("2147483648 BYE")), -EBADMSG);
	CHECK_INT(sip_cseq_parse(&c, pl_from("1BYE")), -EBADMSG);
	CHECK_INT(sip_cseq_parse(&c, pl_from("1 BYE x")), -EBADMSG);
	CHECK_INT(sip_cseq_parse(&c, pl_from("-1 BYE")), -EBADMSG);
	CHECK_INT(sip_cseq_parse(&c, pl_from("7 NEWMETHOD")), 0);
	CHECK_INT(c.method, SIP_METHOD_OTHER);
	CHECK_INT(sip_delta_parse(pl_from("4294967296"), &ex), -EBADMSG);
	CHECK_INT(sip_delta_parse(pl_from("12a"), &ex), -EBADMSG);
}

/* Builds a request with one header replaced, parses and checks it. */
static int check_with(const char *hdr, const struct sip_check_conf *conf,
		      struct sip_check_result *r)
{
	char buf[1024];
	struct sip_msg m;
	snprintf(buf, sizeof(buf),
		 "INVITE sip:+4930123@gw.example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
		 "From: <sip:a@example.com>;tag=1\r\n"
		 "To: <sip:+4930123@gw.example.com>\r\n"
		 "Call-ID: c@192.0.2.1\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 hdr);
	if (parse_str(&m, buf) != 0)
		return -1;
	return sip_check(&m, conf, r);
}

TEST(check_codes)
{
	struct sip_check_result r;
	struct sip_check_conf proxy = uas;
	char out[128];
	proxy.proxy = true;
	CHECK_INT(check_with("", &uas, &r), 0);
	CHECK_INT(check_with("Max-Forwards: 256\r\n", &uas, &r), 400);
	CHECK_STR(r.reason, "Bad Max-Forwards");
	CHECK_INT(check_with("Max-Forwards: 0\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Max-Forwards: 0\r\n", &proxy, &r), 483);
	CHECK_INT(check_with("Require: timer\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Require: TIMER, foo\r\n", &uas, &r), 420);
	CHECK_INT(r.n_unsupported, 1);
	CHECK_INT(sip_check_print_hdrs(&r, out, sizeof(out)), 18);
	CHECK_STR(out, "Unsupported: foo\r\n");
	CHECK_INT(sip_check_print_hdrs(&r, out, 10), -ENOSPC);
	CHECK_INT(check_with("Proxy-Require: foo\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Proxy-Require: foo\r\n", &proxy, &r), 420);
	CHECK_INT(check_with("Accept: application/sdp\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Accept: application/*\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Accept: text/html, */*\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Accept: text/html\r\n", &uas, &r), 406);
	CHECK_INT(check_with("Accept:\r\n", &uas, &r), 406);
	CHECK_INT(check_with("Accept: text/html\r\n", NULL, &r), 0);
	CHECK_INT(check_with("Expires: 4294967296\r\n", &uas, &r), 400);
	CHECK_INT(
	    check_with("Date: Sat, 13 Nov 2010 23:29:00 EST\r\n", &uas, &r),
	    400);
	CHECK_INT(
	    check_with("Date: Sat, 31 Feb 2010 23:29:00 GMT\r\n", &uas, &r),
	    400);
	CHECK_INT(
	    check_with("Contact: <sip:a@h>;expires=4294967296\r\n", &uas, &r),
	    400);
	CHECK_INT(check_with("Contact: <sip:a@h>;q=1.5\r\n", &uas, &r), 400);
	CHECK_INT(
	    check_with("Contact: <sip:a@h>;q=0.5, <sip:b@h>\r\n", &uas, &r), 0);
	CHECK_INT(check_with("Contact: *, <sip:b@h>\r\n", &uas, &r), 400);
	CHECK_INT(check_with("Route: sip:p1.example.com\r\n", &uas, &r), 400);
	CHECK_INT(
	    check_with("Record-Route: <sip:p1.example.com;lr>\r\n", &uas, &r),
	    0);
	CHECK_INT(check_with("Call-ID: second\r\n", &uas, &r), 400);
	CHECK_INT(check_with("Supported: a b\r\n", &uas, &r), 400);
	CHECK_INT(check_with("Content-Type: application\r\n", &uas, &r), 400);
	CHECK_INT(check_with("Retry-After: 18000;duration=3600\r\n", &uas, &r),
		  0);
	CHECK_INT(check_with("Retry-After: 99999999999\r\n", &uas, &r), 400);
}

TEST(check_body_types)
{
	static const char fmt[] = "MESSAGE sip:gw@example.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n"
				  "From: <sip:a@example.com>;tag=1\r\n"
				  "To: <sip:gw@example.com>\r\n"
				  "Call-ID: c@h\r\n"
				  "CSeq: 1 MESSAGE\r\n"
				  "%s"
				  "Content-Length: 2\r\n\r\nhi";
	static const struct {
		const char *hdrs;
		int status;
	} cases[] = {
	    {"Content-Type: application/sdp\r\n", 0},
	    {"Content-Type: Application/SDP;charset=x\r\n", 0},
	    {"Content-Type: text/plain\r\n", 415},
	    {"", 400},
	    {"Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n",
	     415},
	    {"Content-Type: application/sdp\r\ne: identity\r\n", 0},
	};
	char buf[512], out[128];
	struct sip_msg m;
	struct sip_check_result r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), fmt, cases[i].hdrs);
		CHECK_INT(parse_str(&m, buf), 0);
		CHECK_INT(sip_check(&m, &uas, &r), cases[i].status);
	}
	CHECK_INT(sip_check_print_hdrs(&r, out, sizeof(out)), 0);
	snprintf(buf, sizeof(buf), fmt, "Content-Type: text/plain\r\n");
	CHECK_INT(parse_str(&m, buf), 0);
	CHECK_INT(sip_check(&m, &uas, &r), 415);
	CHECK_INT(sip_check_print_hdrs(&r, out, sizeof(out)), 42);
	CHECK_STR(out, "Accept: application/sdp, multipart/mixed\r\n");
	const char *const text_any[] = {"text/*", NULL};
	struct sip_check_conf c = {.accept = text_any};
	CHECK_INT(sip_check(&m, &c, &r), 0);
}

/* --- Start lines ------------------------------------------------------------
 */

TEST(start_lines)
{
	static const struct {
		const char *line;
		int rc;
		int status;
	} cases[] = {
	    {"INVITE sip:a@b SIP/2.0", 0, 0},
	    {"INVITE sip:a@b sip/2.0", 0, 0},
	    {"INVITE sip:a@b SIP/3.0", -EBADMSG, 505},
	    {"INVITE sip:a@b HTTP/1.1", -EBADMSG, 400},
	    {"INVITE sip:a@b SIP/2.0 ", -EBADMSG, 400},
	    {"INVITE  sip:a@b SIP/2.0", -EBADMSG, 400},
	    {"INVITE sip:a@b", -EBADMSG, 400},
	    {"INVITE <sip:a@b> SIP/2.0", -EBADMSG, 400},
	    {"INVITE a@b SIP/2.0", -EBADMSG, 400},
	    {"INV\"TE sip:a@b SIP/2.0", -EBADMSG, 400},
	    {"SIP/2.0 200 OK", 0, 0},
	    {"SIP/2.0 183", 0, 0},
	    {"SIP/2.0 699 Whatever it is", 0, 0},
	    {"SIP/2.0 099 Low", -EBADMSG, 400},
	    {"SIP/2.0 700 High", -EBADMSG, 400},
	    {"SIP/2.0 20 Short", -EBADMSG, 400},
	    {"SIP/2.0 2000 Long", -EBADMSG, 400},
	    {"SIP/2.0 4294967301 Big", -EBADMSG, 400},
	    {"SIP/2.0 200 \x01", -EBADMSG, 400},
	    {"SIP/1.0 200 OK", -EBADMSG, 505},
	};
	char buf[256];
	struct sip_msg m;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "%s\r\nVia: SIP/2.0/UDP h\r\nl: 0\r\n\r\n",
			 cases[i].line);
		int rc = parse_str(&m, buf);
		if (rc != cases[i].rc || m.err_status != cases[i].status)
			t_fail(__FILE__, __LINE__, "\"%s\": rc %d status %d",
			       cases[i].line, rc, m.err_status);
		/* a bad start line still leaves a usable header index */
		if (!m.hdrs_ok || !m.framed || m.n_hdr != 2)
			t_fail(__FILE__, __LINE__, "\"%s\": index",
			       cases[i].line);
	}
	CHECK_INT(parse_str(&m, "SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n"), 0);
	CHECK_INT(m.status, 180);
	CHECK_MEM(m.reason.p, m.reason.l, "Ringing");
	CHECK_INT(parse_str(&m, "RE%47IST%45R sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"),
		  0);
	CHECK_INT(m.method, SIP_METHOD_OTHER);
	CHECK_MEM(m.method_pl.p, m.method_pl.l, "RE%47IST%45R");
	CHECK_INT(parse_str(&m, "invite sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"), 0);
	CHECK_INT(m.method, SIP_METHOD_OTHER); /* methods are case-sensitive */
}

TEST(header_line_errors)
{
	struct sip_msg m;
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\nl: 0\r\n"
				"\r\n"),
		  -EBADMSG);
	CHECK_INT(m.err_status, 400);
	CHECK(m.hdrs_ok && m.n_hdr == 1);
	CHECK_INT(
	    parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n"),
	    -EBADMSG);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\n : x\r\n\r\n"),
		  -EBADMSG);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\n\r\n"), 0);
	CHECK_INT(m.n_hdr, 0);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n"),
		  -EBADMSG); /* no empty line */
	CHECK(!m.hdrs_ok);
	CHECK_INT(parse_str(&m, ""), -EBADMSG);
	CHECK_INT(parse_str(&m, "\r\n\r\n"), -EBADMSG);
	/* bare LF line ends are taken */
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\nl: 2\n\nhi"), 0);
	CHECK_MEM(m.body.p, m.body.l, "hi");
}

/* --- Content-Length and framing --------------------------------------------
 */

TEST(datagram_content_length)
{
	struct sip_msg m;
	CHECK_INT(
	    parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcdef"), 0);
	CHECK_MEM(m.body.p, m.body.l, "abc");
	CHECK_INT(
	    parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\n\r\nabcdef"), 0);
	CHECK_MEM(m.body.p, m.body.l, "abcdef"); /* §18.3: to the end */
	CHECK(!m.has_clen);
	CHECK_INT(
	    parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 7\r\n\r\nabcdef"),
	    -EBADMSG);
	CHECK_STR(m.err_reason, "Bad Content-Length");
	CHECK(m.hdrs_ok && !m.framed);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n"),
		  -EBADMSG);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 1 2\r\n\r\n"),
		  -EBADMSG);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl:\r\n\r\n"),
		  -EBADMSG);
	CHECK_INT(parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n"
				"Content-Length: 0\r\n\r\n"),
		  -EBADMSG);
	CHECK_STR(m.err_reason, "Multiple Content-Length");
	CHECK_INT(
	    parse_str(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 00002\r\n\r\nab"), 0);
	CHECK_INT(m.clen, 2);
}

static const char pipe_msgs[] =
    "\r\n\r\n" /* keep-alive CRLFs (RFC 5626 §3.5.1) */
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 10\r\n"
    "\r\n"
    "v=0\r\no=x\r\n"
    "BYE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK75c\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 2 BYE\r\n"
    "l: 0\r\n"
    "\r\n";

TEST(stream_byte_by_byte)
{
	const size_t total = sizeof(pipe_msgs) - 1;
	const char *first_end = strstr(pipe_msgs, "BYE sip");
	const size_t n1 = (size_t)(first_end - pipe_msgs);
	struct sip_msg m;
	size_t used;
	/* every prefix of the first message is incomplete */
	for (size_t n = 0; n < n1; n++) {
		int rc = sip_msg_parse(&m, pipe_msgs, n, true, &used);
		if (rc != -EAGAIN) {
			t_fail(__FILE__, __LINE__, "prefix %zu: rc %d", n, rc);
			return;
		}
		if (used != (n < 4 ? n : 4)) {
			t_fail(__FILE__, __LINE__, "prefix %zu: used %zu", n,
			       used);
			return;
		}
	}
	CHECK_INT(sip_msg_parse(&m, pipe_msgs, n1, true, &used), 0);
	CHECK_INT(used, n1);
	CHECK_INT(m.method, SIP_METHOD_INVITE);
	CHECK_MEM(m.body.p, m.body.l, "v=0\r\no=x\r\n");
	/* with both messages in the buffer, the first is still n1 bytes */
	CHECK_INT(sip_msg_parse(&m, pipe_msgs, total, true, &used), 0);
	CHECK_INT(used, n1);
	for (size_t n = 0; n < total - n1; n++)
		if (sip_msg_parse(&m, first_end, n, true, &used) != -EAGAIN) {
			t_fail(__FILE__, __LINE__, "2nd prefix %zu", n);
			return;
		}
	CHECK_INT(sip_msg_parse(&m, first_end, total - n1, true, &used), 0);
	CHECK_INT(used, total - n1);
	CHECK_INT(m.method, SIP_METHOD_BYE);
	struct sip_check_result r;
	CHECK_INT(sip_check(&m, &uas, &r), 0);
}

TEST(stream_errors)
{
	struct sip_msg m;
	size_t used = 99;
	static const char nocl[] = "OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\n\r\n";
	CHECK_INT(sip_msg_parse(&m, nocl, sizeof(nocl) - 1, true, &used),
		  -EBADMSG);
	CHECK_STR(m.err_reason, "Missing Content-Length");
	CHECK(m.hdrs_ok && !m.framed);
	/* a bad start line in a well-framed message can be skipped */
	static const char bad[] =
	    "OPTIONS  sip:a@b SIP/2.0\r\nl: 1\r\n\r\nxNEXT";
	CHECK_INT(sip_msg_parse(&m, bad, sizeof(bad) - 1, true, &used),
		  -EBADMSG);
	CHECK(m.framed);
	CHECK_INT(used, sizeof(bad) - 1 - 4);
	CHECK_INT(sip_msg_parse(&m, bad, sizeof(bad) - 6, true, &used),
		  -EAGAIN);
}

/* --- Limits ----------------------------------------------------------------
 */

TEST(limits)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_msg m;
	size_t used;
	char buf[4096];
	static const char req[] = "OPTIONS sip:a@b SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				  "Content-Length: 100\r\n\r\n";
	int n = snprintf(buf, sizeof(buf), "%s%0100d", req, 0);

	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used), 0);
	lim.max_body_bytes = 99;
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used),
		  -EMSGSIZE);
	CHECK_INT(m.err_status, 413);
	CHECK(m.hdrs_ok); /* the 413 can be answered */
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, true, &used),
		  -EMSGSIZE);
	CHECK_INT(m.err_status, 413);

	lim = sip_limits_default;
	lim.max_msg_bytes = (size_t)n - 1;
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used),
		  -EMSGSIZE);
	CHECK_INT(m.err_status, 513);
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, true, &used),
		  -EMSGSIZE);
	CHECK_INT(m.err_status, 513);
	/* a stream that never ends its header section */
	CHECK_INT(
	    sip_msg_parse_lim(&m, &lim, buf, sizeof(req) - 3, true, &used),
	    -EAGAIN);
	lim.max_msg_bytes = 20;
	CHECK_INT(
	    sip_msg_parse_lim(&m, &lim, buf, sizeof(req) - 3, true, &used),
	    -EMSGSIZE);
	CHECK_INT(m.err_status, 513);

	lim = sip_limits_default;
	lim.max_hdrs = 1;
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used),
		  -E2BIG);
	CHECK_INT(m.err_status, 513);
	CHECK(!m.hdrs_ok);

	lim = sip_limits_default;
	lim.max_hdr_bytes = 20;
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used),
		  -E2BIG);
	CHECK_STR(m.err_reason, "Header Too Long");

	lim = sip_limits_default;
	lim.max_via = 2;
	n = snprintf(buf, sizeof(buf),
		     "OPTIONS sip:a@b SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"
		     "Via: SIP/2.0/UDP c\r\nl: 0\r\n\r\n");
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used),
		  -E2BIG);
	CHECK_STR(m.err_reason, "Too Many Via");
	lim.max_via = 3;
	CHECK_INT(sip_msg_parse_lim(&m, &lim, buf, (size_t)n, false, &used), 0);
	CHECK_INT(m.n_via, 3);

	/* more headers than the index holds: 513, not an overflow */
	size_t len =
	    (size_t)snprintf(buf, sizeof(buf), "OPTIONS sip:a@b SIP/2.0\r\n");
	for (int i = 0; i < SIP_MSG_HDR_CAP + 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"X%d: y\r\n", i);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\r\n");
	CHECK_INT(sip_msg_parse(&m, buf, len, false, &used), -E2BIG);
	CHECK_INT(m.err_status, 513);
}

/* --- Response printing ------------------------------------------------------
 */

static const char print_req[] =
    "INVITE sip:+4930123456@gw.example.net SIP/2.0\r\n"
    "v: SIP/2.0/UDP proxy.example.net:5060\r\n"
    "  ;branch=z9hG4bK2d4790.1;received=192.0.2.7\r\n"
    "Via: SIP/2.0/TCP ua.example.com;branch=z9hG4bK74bf9, "
    "SIP/2.0/UDP [2001:db8::1];rport=5070\r\n"
    "f: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
    "t: <sip:+4930123456@gw.example.net>\r\n"
    "Call-ID: a84b4c76e66710@ua.example.com\r\n"
    "CSeq:  314159  INVITE\r\n"
    "Max-Forwards: 69\r\n"
    "Content-Length: 0\r\n\r\n";

static const char print_want[] =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP proxy.example.net:5060 "
    ";branch=z9hG4bK2d4790.1;received=192.0.2.7\r\n"
    "Via: SIP/2.0/TCP ua.example.com;branch=z9hG4bK74bf9, "
    "SIP/2.0/UDP [2001:db8::1];rport=5070\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
    "To: <sip:+4930123456@gw.example.net>;tag=gw-5a1\r\n"
    "Call-ID: a84b4c76e66710@ua.example.com\r\n"
    "CSeq: 314159  INVITE\r\n";

TEST(print_response)
{
	struct sip_msg m;
	char out[1024];
	CHECK_INT(parse_str(&m, print_req), 0);
	int n = sip_print_response(out, sizeof(out), &m, 180, NULL, "gw-5a1");
	CHECK_INT(n, (int)strlen(print_want));
	CHECK_STR(out, print_want);
	n = sip_print_append(out, sizeof(out), (size_t)n,
			     "Contact: <sip:gw@192.0.2.9>\r\n");
	CHECK(n > 0);
	n = sip_print_end(out, sizeof(out), (size_t)n, "v=0\r\n", 5);
	CHECK(n > 0);
	char want[1024];
	snprintf(want, sizeof(want),
		 "%sContact: <sip:gw@192.0.2.9>\r\nContent-Length: 5\r\n\r\n"
		 "v=0\r\n",
		 print_want);
	CHECK_MEM(out, n, want);
	/* every buffer too small gives -ENOSPC, never an overflow */
	for (size_t cap = 0; cap <= strlen(print_want); cap++) {
		char *small = malloc(cap ? cap : 1);
		int r = sip_print_response(small, cap, &m, 180, NULL, "gw-5a1");
		free(small);
		if (r != -ENOSPC) {
			t_fail(__FILE__, __LINE__, "cap %zu: %d", cap, r);
			return;
		}
	}
	/* "Content-Length: 4\r\n\r\nbody" is 25 bytes, plus the NUL */
	CHECK_INT(sip_print_end(out, 25, 0, "body", 4), -ENOSPC);
	CHECK_INT(sip_print_end(out, 26, 0, "body", 4), 25);
	CHECK_INT(sip_print_append(out, 5, 5, "x"), -ENOSPC);
}

TEST(print_response_keeps_to_tag)
{
	struct sip_msg m, r;
	char out[1024];
	static const char req[] = "BYE sip:gw@h SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				  "From: <sip:a@h>;tag=a\r\n"
				  "To: <sip:gw@h>;tag=existing\r\n"
				  "Call-ID: c\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n";
	CHECK_INT(parse_str(&m, req), 0);
	int n = sip_print_response(out, sizeof(out), &m, 481, "No Such Call",
				   "new");
	CHECK(n > 0);
	CHECK(strstr(out, "SIP/2.0 481 No Such Call\r\n") == out);
	CHECK(strstr(out, "To: <sip:gw@h>;tag=existing\r\n") != NULL);
	CHECK(strstr(out, "new") == NULL);
	n = sip_print_end(out, sizeof(out), (size_t)n, NULL, 0);
	CHECK_INT(parse_str(&r, out), 0);
	CHECK_INT(r.status, 481);
	CHECK_INT(sip_print_response(out, sizeof(out), &r, 200, NULL, NULL),
		  -EINVAL); /* not a request */
	CHECK_INT(sip_print_response(out, sizeof(out), &m, 99, NULL, NULL),
		  -EINVAL);
	CHECK_STR(sip_reason_phrase(420), "Bad Extension");
	CHECK_STR(sip_reason_phrase(299), "Unknown");
}
