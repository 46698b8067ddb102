/*
 * Loading the configuration: sections and keys from the INI reader are
 * checked against the key tables, defaults applied, then conf_check.c
 * validates what involves several keys or sections.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_check.h"
#include "conf_keys.h"
#include "ini.h"

struct loader {
	struct conf *c;
	const struct conf_section *sec; /* current section */
	void *base;			/* its struct */
	uint64_t *set_mask;
	unsigned *key_line;
	unsigned general_line, sip_line;
};

static int apply_defaults(const struct conf_section *sec, void *base)
{
	char err[256];
	for (unsigned i = 0; i < sec->nkeys; i++) {
		const struct conf_key *k = &sec->keys[i];
		if (k->dflt &&
		    conf_key_parse(k, base, k->dflt, err, sizeof(err)) != 0)
			return -EINVAL; /* a broken table: caught by tests */
	}
	return 0;
}

static int section_once(unsigned *seen_line, const struct ini_pos *pos,
			const char *name, char *err, size_t cap)
{
	if (*seen_line) {
		snprintf(err, cap, "[%s] given twice (first at line %u)", name,
			 *seen_line);
		return -EINVAL;
	}
	*seen_line = pos->line;
	return 0;
}

static int start_span(struct loader *ld, const struct ini_pos *pos,
		      const char *name, char *err, size_t cap)
{
	unsigned no = 0;
	if (!name || strspn(name, "0123456789") != strlen(name) ||
	    strlen(name) > 4 || (no = (unsigned)atoi(name)) < 1 ||
	    no > CONF_MAX_SPANS) {
		snprintf(err, cap, "bad span number '%s': must be 1..%d",
			 name ? name : "", CONF_MAX_SPANS);
		return -EINVAL;
	}
	if (ld->c->span[no]) {
		snprintf(err, cap, "span %u defined twice (first at line %u)",
			 no, ld->c->span[no]->line);
		return -EINVAL;
	}
	struct conf_span *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	s->no = no;
	s->line = pos->line;
	ld->c->span[no] = s;
	ld->c->nspans++;
	ld->base = s;
	ld->set_mask = &s->set_mask;
	ld->key_line = s->key_line;
	return apply_defaults(&conf_sec_span, s);
}

static int start_tg(struct loader *ld, const struct ini_pos *pos,
		    const char *name, char *err, size_t cap)
{
	if (!name || strlen(name) >= CONF_NAME_MAX) {
		snprintf(err, cap,
			 "trunk group needs a name of 1..%d "
			 "characters: [trunkgroup NAME]",
			 CONF_NAME_MAX - 1);
		return -EINVAL;
	}
	const struct conf_tg *old = conf_tg_find(ld->c, name);
	if (old) {
		snprintf(err, cap,
			 "trunk group %s defined twice (first at "
			 "line %u)",
			 name, old->line);
		return -EINVAL;
	}
	if (ld->c->ntg == CONF_MAX_TGS) {
		snprintf(err, cap, "more than %d trunk groups", CONF_MAX_TGS);
		return -EINVAL;
	}
	struct conf_tg *tg = &ld->c->tg[ld->c->ntg++];
	snprintf(tg->name, sizeof(tg->name), "%s", name);
	tg->line = pos->line;
	ld->base = tg;
	ld->set_mask = &tg->set_mask;
	ld->key_line = tg->key_line;
	return apply_defaults(&conf_sec_tg, tg);
}

static int start_section(struct loader *ld, const struct ini_pos *pos,
			 const char *section, const char *name, char *err,
			 size_t cap)
{
	struct conf *c = ld->c;
	if (strcmp(section, "span") == 0) {
		ld->sec = &conf_sec_span;
		return start_span(ld, pos, name, err, cap);
	}
	if (strcmp(section, "trunkgroup") == 0) {
		ld->sec = &conf_sec_tg;
		return start_tg(ld, pos, name, err, cap);
	}
	bool general = strcmp(section, "general") == 0;
	if (!general && strcmp(section, "sip") != 0) {
		snprintf(err, cap, "unknown section [%s]", section);
		return -EINVAL;
	}
	if (name) {
		snprintf(err, cap, "[%s] takes no name", section);
		return -EINVAL;
	}
	if (general) {
		ld->sec = &conf_sec_general;
		ld->base = &c->general;
		ld->set_mask = &c->general.set_mask;
		ld->key_line = c->general.key_line;
		return section_once(&ld->general_line, pos, section, err, cap);
	}
	ld->sec = &conf_sec_sip;
	ld->base = &c->sip;
	ld->set_mask = &c->sip.set_mask;
	ld->key_line = c->sip.key_line;
	return section_once(&ld->sip_line, pos, section, err, cap);
}

static int on_ini(void *arg, const struct ini_pos *pos, const char *section,
		  const char *name, const char *key, const char *value,
		  char *err, size_t cap)
{
	struct loader *ld = arg;
	if (!key)
		return start_section(ld, pos, section, name, err, cap);
	int i = conf_key_find(ld->sec, key);
	if (i < 0) {
		if (name)
			snprintf(err, cap, "unknown key '%s' in [%s %s]", key,
				 section, name);
		else
			snprintf(err, cap, "unknown key '%s' in [%s]", key,
				 section);
		return -EINVAL;
	}
	if (*ld->set_mask & (1ull << i)) {
		snprintf(err, cap, "%s given twice (first at line %u)", key,
			 ld->key_line[i]);
		return -EINVAL;
	}
	int rc = conf_key_parse(&ld->sec->keys[i], ld->base, value, err, cap);
	if (rc)
		return rc;
	*ld->set_mask |= 1ull << i;
	ld->key_line[i] = pos->line;
	return 0;
}

static int conf_new(struct conf **cp, const char *name)
{
	struct conf *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->path, sizeof(c->path), "%s", name);
	if (apply_defaults(&conf_sec_general, &c->general) ||
	    apply_defaults(&conf_sec_sip, &c->sip)) {
		conf_free(c);
		return -EINVAL;
	}
	*cp = c;
	return 0;
}

static int conf_finish(struct conf *c, int rc, struct conf **cp, char *err,
		       size_t cap)
{
	if (!rc)
		rc = conf_check(c, err, cap);
	if (rc) {
		conf_free(c);
		return rc;
	}
	*cp = c;
	return 0;
}

int conf_load(struct conf **cp, const char *path, char *err, size_t cap)
{
	struct conf *c;
	int rc = conf_new(&c, path);
	if (rc) {
		snprintf(err, cap, "%s: out of memory", path);
		return rc;
	}
	struct loader ld = {.c = c};
	rc = ini_parse_file(path, on_ini, &ld, err, cap);
	return conf_finish(c, rc, cp, err, cap);
}

int conf_load_buf(struct conf **cp, const char *name, const char *text,
		  char *err, size_t cap)
{
	struct conf *c;
	int rc = conf_new(&c, name);
	if (rc) {
		snprintf(err, cap, "%s: out of memory", name);
		return rc;
	}
	struct loader ld = {.c = c};
	rc = ini_parse_buf(name, text, strlen(text), on_ini, &ld, err, cap);
	return conf_finish(c, rc, cp, err, cap);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i <= CONF_MAX_SPANS; i++)
		free(c->span[i]);
	free(c);
}

const struct conf_tg *conf_tg_find(const struct conf *c, const char *name)
{
	for (unsigned i = 0; i < c->ntg; i++)
		if (strcmp(c->tg[i].name, name) == 0)
			return &c->tg[i];
	return NULL;
}

static void print_section(FILE *f, const struct conf_section *sec,
			  const void *base)
{
	char val[INI_MAX_LINE];
	for (unsigned i = 0; i < sec->nkeys; i++) {
		conf_key_format(&sec->keys[i], base, val, sizeof(val));
		fprintf(f, "%s =%s%s\n", sec->keys[i].name, val[0] ? " " : "",
			val);
	}
	fprintf(f, "\n");
}

void conf_print(const struct conf *c, FILE *f)
{
	fprintf(f, "[general]\n");
	print_section(f, &conf_sec_general, &c->general);
	fprintf(f, "[sip]\n");
	print_section(f, &conf_sec_sip, &c->sip);
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++) {
		if (!c->span[no])
			continue;
		fprintf(f, "[span %u]\n", no);
		print_section(f, &conf_sec_span, c->span[no]);
	}
	for (unsigned t = 0; t < c->ntg; t++) {
		fprintf(f, "[trunkgroup %s]\n", c->tg[t].name);
		print_section(f, &conf_sec_tg, &c->tg[t]);
	}
}

void conf_print_keys(FILE *f)
{
	const struct conf_section *secs[] = {&conf_sec_general, &conf_sec_sip,
					     &conf_sec_span, &conf_sec_tg};
	const char *heads[] = {"[general]", "[sip]", "[span N]",
			       "[trunkgroup NAME]"};
	for (size_t s = 0; s < sizeof(secs) / sizeof(secs[0]); s++) {
		fprintf(f, "%s\n", heads[s]);
		for (unsigned i = 0; i < secs[s]->nkeys; i++) {
			const struct conf_key *k = &secs[s]->keys[i];
			if (k->dflt)
				fprintf(f, "  %-18s %s (default: %s)\n",
					k->name, k->help,
					k->dflt[0] ? k->dflt : "none");
			else
				fprintf(f, "  %-18s %s\n", k->name, k->help);
		}
		fprintf(f, "\n");
	}
}
