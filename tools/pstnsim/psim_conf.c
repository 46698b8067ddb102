/*
 * pstnsim's scenario file: the spans it serves and how each called number
 * behaves. INI like gwd's (gw/ini.c), with the same file:line errors:
 *
 *   [general]   log_level
 *   [span N]    type = e1|t1, switch = euroisdn|ni2|5ess|dms100|4ess|qsig,
 *               driver = sim|dahdi, unit, basechan, blocksize,
 *               clock_phase = spread|aligned,
 *               pcap = PATH (D-channel capture, LINKTYPE_LINUX_LAPD)
 *   [number P]  P exact, a prefix ending in '*', or "default";
 *               behaviour = answer|busy|noanswer|unallocated|congestion|
 *               reject|announce|silent|proceeding|glare, alert_ms,
 *               answer_ms, noanswer_ms, announce_ms, hangup_ms, cause,
 *               source, sink, glare_called, glare_calling, glare_count
 *
 * glare: when the gateway's SETUP for the number arrives on channel X,
 * pstnsim first sends its own SETUP to the gateway on X (exclusive, as a
 * network that seized X at the same moment; called glare_called, default
 * 30555, calling glare_calling, default 301234, national), then answers
 * the gateway's SETUP with RELEASE COMPLETE cause 44 (requested channel
 * not available): Q.931 §5.7, the network's call wins the channel. The
 * first glare_count SETUPs (default 1) collide; later ones are answered
 * as with behaviour answer (alert_ms, answer_ms), so a retry on another
 * channel succeeds.
 *
 * source (what the far end plays): silence | tone:HZ[:DBM0] |
 *   dtmf:DIGITS | milliwatt | ramp | echo (what it hears, unchanged) |
 *   hybrid:MODEL[:ERL_DB[:HZ[:DBM0[:START_MS]]]] (what it hears through a
 *   line hybrid: ITU-T G.168 Annex D echo path MODEL d2..d8 from
 *   spandsp's g168models.h, scaled so white noise returns ERL_DB lower,
 *   default 10; with HZ, a near-end tone at DBM0 (default -20) is mixed
 *   in from START_MS after the answer (default 0) for double talk) |
 *   modem:cng|ced|ans-pr|ansam|ansam-pr (V.25/V.8/T.30 connect tones
 *   from spandsp's modem_connect_tones_tx: fax calling tone, 2100 Hz
 *   answer tone, with phase reversals, amplitude-modulated, both)
 * sink (what it verifies): none | record | ramp
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "log.h"
#include "psim.h"

static const char *const behaviour_names[] = {
    [PSIM_B_ANSWER] = "answer",		[PSIM_B_BUSY] = "busy",
    [PSIM_B_NOANSWER] = "noanswer",	[PSIM_B_UNALLOCATED] = "unallocated",
    [PSIM_B_CONGESTION] = "congestion", [PSIM_B_REJECT] = "reject",
    [PSIM_B_ANNOUNCE] = "announce",	[PSIM_B_SILENT] = "silent",
    [PSIM_B_PROCEEDING] = "proceeding", [PSIM_B_GLARE] = "glare",
};

const char *psim_behaviour_name(enum psim_behaviour b)
{
	return behaviour_names[b];
}

int psim_behaviour_parse(const char *s, enum psim_behaviour *b)
{
	for (unsigned i = 0;
	     i < sizeof(behaviour_names) / sizeof(behaviour_names[0]); i++)
		if (strcmp(s, behaviour_names[i]) == 0) {
			*b = i;
			return 0;
		}
	return -EINVAL;
}

void psim_number_defaults(struct psim_number *n)
{
	memset(n, 0, sizeof(*n));
	n->behaviour = PSIM_B_ANSWER;
	n->alert_ms = 0;
	n->answer_ms = 100;
	n->noanswer_ms = 30000; /* a typical network no-answer timer */
	n->announce_ms = 2000;
	n->audio.src = PSIM_SRC_SILENCE;
	n->audio.sink = PSIM_SINK_RECORD;
	n->audio.level_dbm0 = -10.0;
	strcpy(n->glare_called, "30555");
	strcpy(n->glare_calling, "301234");
	n->glare_count = 1;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x > max || *v == '-')
		return -EINVAL;
	*out = (unsigned)x;
	return 0;
}

int psim_number_set(struct psim_number *n, const char *key, const char *val,
		    char *err, size_t cap)
{
	unsigned *ms = NULL, u;
	if (strcmp(key, "behaviour") == 0) {
		if (psim_behaviour_parse(val, &n->behaviour) == 0)
			return 0;
		snprintf(err, cap,
			 "behaviour: unknown '%s' (answer, busy, "
			 "noanswer, unallocated, congestion, reject, announce, "
			 "silent, proceeding, glare)",
			 val);
		return -EINVAL;
	}
	if (strcmp(key, "glare_called") == 0 ||
	    strcmp(key, "glare_calling") == 0) {
		size_t len = strlen(val);
		if (len >= PSIM_NUM_MAX || strspn(val, "0123456789*#") != len ||
		    (!len && strcmp(key, "glare_called") == 0)) {
			snprintf(err, cap, "%s: want 1 to %d digits", key,
				 PSIM_NUM_MAX - 1);
			return -EINVAL;
		}
		strcpy(strcmp(key, "glare_called") == 0 ? n->glare_called
							: n->glare_calling,
		       val);
		return 0;
	}
	if (strcmp(key, "glare_count") == 0) {
		if (parse_uint(val, 1000, &n->glare_count) == 0)
			return 0;
		snprintf(err, cap, "glare_count: want 0..1000");
		return -EINVAL;
	}
	if (strcmp(key, "cause") == 0) {
		if (parse_uint(val, 127, &u) == 0 && u >= 1) {
			n->cause = (int)u;
			return 0;
		}
		snprintf(err, cap, "cause: want a Q.850 cause 1..127");
		return -EINVAL;
	}
	if (strcmp(key, "source") == 0)
		return psim_src_parse(&n->audio, val, err, cap);
	if (strcmp(key, "sink") == 0)
		return psim_sink_parse(&n->audio, val, err, cap);
	if (strcmp(key, "alert_ms") == 0)
		ms = &n->alert_ms;
	else if (strcmp(key, "answer_ms") == 0)
		ms = &n->answer_ms;
	else if (strcmp(key, "noanswer_ms") == 0)
		ms = &n->noanswer_ms;
	else if (strcmp(key, "announce_ms") == 0)
		ms = &n->announce_ms;
	else if (strcmp(key, "hangup_ms") == 0)
		ms = &n->hangup_ms;
	if (!ms) {
		snprintf(err, cap, "unknown key '%s' in [number]", key);
		return -EINVAL;
	}
	if (parse_uint(val, 3600000, ms) == 0)
		return 0;
	snprintf(err, cap, "%s: want milliseconds 0..3600000", key);
	return -EINVAL;
}

static int span_switch(const char *v, enum conf_switch *sw)
{
	for (unsigned i = CONF_SW_EUROISDN; i <= CONF_SW_QSIG; i++)
		if (strcmp(v, conf_switch_name(i)) == 0) {
			*sw = i;
			return 0;
		}
	return -EINVAL;
}

static int span_key(struct psim_span_conf *s, const char *key, const char *val,
		    char *err, size_t cap)
{
	if (strcmp(key, "type") == 0) {
		if (strcmp(val, "e1") == 0)
			s->layout = TDM_E1;
		else if (strcmp(val, "t1") == 0)
			s->layout = TDM_T1;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "switch") == 0) {
		if (span_switch(val, &s->sw) == 0)
			return 0;
		snprintf(err, cap,
			 "switch: unknown '%s' (euroisdn, ni2, 5ess, "
			 "dms100, 4ess, qsig)",
			 val);
		return -EINVAL;
	}
	if (strcmp(key, "driver") == 0) {
		if (strcmp(val, "sim") == 0)
			s->driver = PSIM_DRV_SIM;
		else if (strcmp(val, "dahdi") == 0)
			s->driver = PSIM_DRV_DAHDI;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "unit") == 0) {
		if (parse_uint(val, 256, &s->unit) == 0 && s->unit >= 1)
			return 0;
		goto bad;
	}
	if (strcmp(key, "basechan") == 0) {
		if (parse_uint(val, 4096, &s->basechan) == 0)
			return 0;
		goto bad;
	}
	if (strcmp(key, "blocksize") == 0) {
		if (parse_uint(val, TDM_MAX_BLOCK, &s->blocksize) == 0 &&
		    s->blocksize >= TDM_MIN_BLOCK)
			return 0;
		snprintf(err, cap, "blocksize: want %d..%d samples",
			 TDM_MIN_BLOCK, TDM_MAX_BLOCK);
		return -EINVAL;
	}
	if (strcmp(key, "clock_phase") == 0) {
		if (strcmp(val, "spread") == 0 || strcmp(val, "aligned") == 0) {
			s->clock_aligned = strcmp(val, "aligned") == 0;
			return 0;
		}
		snprintf(err, cap, "clock_phase: want spread or aligned");
		return -EINVAL;
	}
	if (strcmp(key, "pcap") == 0) {
		if (strlen(val) < CONF_PATH_MAX) {
			strcpy(s->pcap, val);
			return 0;
		}
		snprintf(err, cap, "pcap: path longer than %d bytes",
			 CONF_PATH_MAX - 1);
		return -EINVAL;
	}
	snprintf(err, cap, "unknown key '%s' in [span]", key);
	return -EINVAL;
bad:
	snprintf(err, cap, "%s: bad value '%s'", key, val);
	return -EINVAL;
}

struct load_ctx {
	struct psim_conf *c;
	struct psim_span_conf *span;
	struct psim_number *num;
	bool general;
};

static int on_section(struct load_ctx *x, const char *section, const char *name,
		      char *err, size_t cap)
{
	x->span = NULL;
	x->num = NULL;
	x->general = false;
	if (strcmp(section, "general") == 0 && !name) {
		x->general = true;
		return 0;
	}
	if (strcmp(section, "span") == 0 && name) {
		unsigned no;
		if (parse_uint(name, PSIM_MAX_SPANS, &no) || no < 1) {
			snprintf(err, cap, "bad span number '%s' (1..%d)", name,
				 PSIM_MAX_SPANS);
			return -EINVAL;
		}
		if (x->c->span[no].present) {
			snprintf(err, cap, "span %u defined twice", no);
			return -EINVAL;
		}
		x->span = &x->c->span[no];
		x->span->present = true;
		x->span->no = no;
		x->span->layout = TDM_E1;
		x->span->sw = CONF_SW_EUROISDN;
		x->span->blocksize = 160; /* 20 ms */
		return 0;
	}
	if (strcmp(section, "number") == 0 && name) {
		if (strcmp(name, "default") == 0) {
			x->num = &x->c->dflt;
			return 0;
		}
		size_t n = strlen(name);
		if (n >= PSIM_NUM_MAX || strspn(name, "0123456789*#+") != n ||
		    (strchr(name, '*') && strchr(name, '*') != name + n - 1)) {
			snprintf(err, cap,
				 "bad number pattern '%s' (digits, "
				 "optionally ending in '*')",
				 name);
			return -EINVAL;
		}
		if (x->c->nnumbers == PSIM_MAX_NUMBERS) {
			snprintf(err, cap, "too many numbers (max %d)",
				 PSIM_MAX_NUMBERS);
			return -E2BIG;
		}
		x->num = &x->c->numbers[x->c->nnumbers++];
		psim_number_defaults(x->num);
		strcpy(x->num->pattern, name);
		return 0;
	}
	snprintf(err, cap, "unknown section [%s%s%s]", section, name ? " " : "",
		 name ? name : "");
	return -EINVAL;
}

static int on_ini(void *arg, const struct ini_pos *pos, const char *section,
		  const char *name, const char *key, const char *value,
		  char *err, size_t cap)
{
	struct load_ctx *x = arg;
	(void)pos;
	if (!key)
		return on_section(x, section, name, err, cap);
	if (x->span)
		return span_key(x->span, key, value, err, cap);
	if (x->num)
		return psim_number_set(x->num, key, value, err, cap);
	if (x->general && strcmp(key, "log_level") == 0) {
		enum log_level lvl;
		if (log_level_parse(value, &lvl) == 0) {
			x->c->log_level = lvl;
			return 0;
		}
		snprintf(err, cap, "log_level: unknown '%s'", value);
		return -EINVAL;
	}
	snprintf(err, cap, "unknown key '%s' in [%s]", key, section);
	return -EINVAL;
}

int psim_conf_load(struct psim_conf *c, const char *path, char *err, size_t cap)
{
	memset(c, 0, sizeof(*c));
	psim_number_defaults(&c->dflt);
	c->log_level = LOG_LVL_INFO;
	struct load_ctx x = {.c = c};
	int rc = ini_parse_file(path, on_ini, &x, err, cap);
	if (rc)
		return rc;
	for (unsigned no = 1; no <= PSIM_MAX_SPANS; no++) {
		struct psim_span_conf *s = &c->span[no];
		if (!s->present)
			continue;
		if (s->driver == PSIM_DRV_DAHDI && !s->unit) {
			snprintf(err, cap,
				 "%s: span %u: driver dahdi needs "
				 "unit",
				 path, no);
			return -EINVAL;
		}
		if (s->layout == TDM_E1 && s->sw != CONF_SW_EUROISDN &&
		    s->sw != CONF_SW_QSIG) {
			snprintf(err, cap,
				 "%s: span %u: switch %s is a T1 "
				 "variant",
				 path, no, conf_switch_name(s->sw));
			return -EINVAL;
		}
	}
	return 0;
}

const struct psim_number *psim_number_match(const struct psim_conf *c,
					    const char *called)
{
	const struct psim_number *best = NULL;
	size_t best_len = 0;
	for (unsigned i = 0; i < c->nnumbers; i++) {
		const struct psim_number *n = &c->numbers[i];
		size_t len = strlen(n->pattern);
		if (len && n->pattern[len - 1] == '*') {
			len--;
			if (strncmp(called, n->pattern, len) == 0 &&
			    (!best || len > best_len))
				best = n, best_len = len;
		} else if (strcmp(called, n->pattern) == 0) {
			return n; /* an exact match beats every prefix */
		}
	}
	return best ? best : &c->dflt;
}
