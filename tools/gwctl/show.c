/*
 * gwctl renderers: gwd's JSON replies as aligned tables for people.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwctl.h"

static const char *str(const struct json_doc *d, int obj, const char *key,
		       char *buf, size_t cap)
{
	return json_obj_str(d, obj, key, buf, cap, "-");
}

static long long num(const struct json_doc *d, int obj, const char *key)
{
	return json_obj_int(d, obj, key, 0);
}

static void fmt_age(long long ms, char *buf, size_t cap)
{
	long long s = ms / 1000;
	if (s < 120)
		snprintf(buf, cap, "%llds", s);
	else if (s < 7200)
		snprintf(buf, cap, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, cap, "%lldh", s / 3600);
	else
		snprintf(buf, cap, "%lldd", s / 86400);
}

int gwctl_render(const struct gwctl_cmd *c, const char *reply, size_t len,
		 bool json)
{
	size_t max = len / 2 + 16;
	struct json_tok *tok = malloc(max * sizeof(*tok));
	struct json_doc d;
	const char *perr = NULL;
	while (len && (reply[len - 1] == '\n' || reply[len - 1] == '\r'))
		len--;
	if (!tok || json_parse(&d, reply, len, tok, (int)max, &perr) ||
	    d.tok[0].type != JSON_OBJ) {
		fprintf(stderr, "gwctl: bad reply from gwd: %s\n",
			perr ? perr : "not an object");
		free(tok);
		return 1;
	}
	int rc = 0;
	if (!json_obj_bool(&d, 0, "ok", false)) {
		char e[512];
		fprintf(stderr, "gwctl %s: %s\n", c->name,
			json_obj_str(&d, 0, "error", e, sizeof(e), "failed"));
		rc = 1;
	} else if (json) {
		printf("%.*s\n", (int)len, reply);
	} else {
		rc = c->show(&d);
	}
	free(tok);
	return rc;
}

int gwctl_show_status(const struct json_doc *d)
{
	char v[64], cfg[256], up[32];
	fmt_age(num(d, 0, "uptime_ms"), up, sizeof(up));
	printf("gwd %s, pid %lld, up %s\n", str(d, 0, "version", v, sizeof(v)),
	       num(d, 0, "pid"), up);
	printf("config      %s (reloaded %lld times)\n",
	       str(d, 0, "config", cfg, sizeof(cfg)), num(d, 0, "reloads"));
	printf("spans       %lld (%lld usable)\n", num(d, 0, "spans"),
	       num(d, 0, "spans_usable"));
	printf("calls       %lld\n", num(d, 0, "calls"));
	printf("media       %lld workers\n", num(d, 0, "media_workers"));
	if (json_obj_bool(d, 0, "shutting_down", false))
		printf("state       shutting down\n");
	return 0;
}

static void span_row(const struct json_doc *d, int s)
{
	char drv[16], type[8], sw[16], side[8], state[16], dch[8], al[64];
	char age[32];
	int ch = json_obj_get(d, s, "channels");
	int cnt = json_obj_get(d, s, "counters");
	fmt_age(num(d, s, "state_age_ms"), age, sizeof(age));
	printf("%-4lld %-6s %-4s %-8s %-4s %-8s %-6s %-5s %-12s %4lld %4lld "
	       "%4lld %4lld %4lld  %lld/%lld\n",
	       num(d, s, "span"), str(d, s, "driver", drv, sizeof(drv)),
	       str(d, s, "type", type, sizeof(type)),
	       str(d, s, "switch", sw, sizeof(sw)),
	       str(d, s, "side", side, sizeof(side)),
	       str(d, s, "state", state, sizeof(state)), age,
	       str(d, s, "dchan", dch, sizeof(dch)),
	       str(d, s, "alarms", al, sizeof(al)), num(d, ch, "total"),
	       num(d, ch, "idle"), num(d, ch, "busy"), num(d, ch, "blocked"),
	       num(d, ch, "restarting"), num(d, cnt, "calls_in"),
	       num(d, cnt, "calls_out"));
}

static void span_header(void)
{
	printf("%-4s %-6s %-4s %-8s %-4s %-8s %-6s %-5s %-12s %4s %4s %4s "
	       "%4s %4s  %s\n",
	       "SPAN", "DRIVER", "TYPE", "SWITCH", "SIDE", "STATE", "SINCE",
	       "DCHAN", "ALARMS", "CHAN", "IDLE", "BUSY", "BLK", "RST",
	       "CALLS IN/OUT");
}

int gwctl_show_spans(const struct json_doc *d)
{
	int arr = json_obj_get(d, 0, "spans");
	span_header();
	if (arr < 0)
		return 1;
	for (int s = json_child(d, arr);
	     s >= 0 && s < d->ntok && (unsigned)s < d->tok[arr].next;
	     s = json_sibling(d, s))
		span_row(d, s);
	return 0;
}

static void chan_header(void)
{
	printf("%-4s %-4s %-10s %-12s %-6s %-4s %s\n", "SPAN", "CHAN", "STATE",
	       "BLOCKED", "CALL", "DIR", "SINCE");
}

static void chan_row(const struct json_doc *d, int c)
{
	char st[16], age[32], call[16], dir[8];
	bool near = json_obj_bool(d, c, "blocked_near", false);
	bool far = json_obj_bool(d, c, "blocked_far", false);
	const char *blk = near && far ? "both"
			  : near      ? "near-end"
			  : far	      ? "far-end"
				      : "-";
	fmt_age(num(d, c, "age_ms"), age, sizeof(age));
	if (json_obj_get(d, c, "call") >= 0)
		snprintf(call, sizeof(call), "%lld", num(d, c, "call"));
	else
		snprintf(call, sizeof(call), "-");
	printf("%-4lld %-4lld %-10s %-12s %-6s %-4s %s\n", num(d, c, "span"),
	       num(d, c, "chan"), str(d, c, "state", st, sizeof(st)), blk, call,
	       str(d, c, "direction", dir, sizeof(dir)), age);
}

static void chan_rows(const struct json_doc *d, int arr)
{
	chan_header();
	if (arr < 0)
		return;
	for (int c = json_child(d, arr);
	     c >= 0 && c < d->ntok && (unsigned)c < d->tok[arr].next;
	     c = json_sibling(d, c))
		chan_row(d, c);
}

int gwctl_show_span(const struct json_doc *d)
{
	int s = json_obj_get(d, 0, "span");
	if (s < 0)
		return 1;
	char desc[64];
	printf("%s\n", str(d, s, "desc", desc, sizeof(desc)));
	span_header();
	span_row(d, s);
	int cnt = json_obj_get(d, s, "counters");
	printf("\ncounters:");
	int i = 0;
	if (cnt < 0)
		return 1;
	for (int k = json_child(d, cnt);
	     k >= 0 && (unsigned)k < d->tok[cnt].next;
	     k = json_sibling(d, k + 1), i++) {
		char name[32];
		long long v = 0;
		json_get_str(d, k, name, sizeof(name));
		json_get_int(d, k + 1, &v);
		printf("%s%s %lld", i % 4 ? ", " : "\n  ", name, v);
	}
	printf("\n\n");
	chan_rows(d, json_obj_get(d, 0, "channels"));
	return 0;
}

int gwctl_show_channels(const struct json_doc *d)
{
	chan_rows(d, json_obj_get(d, 0, "channels"));
	return 0;
}

int gwctl_show_channel(const struct json_doc *d)
{
	int c = json_obj_get(d, 0, "channel");
	if (c < 0)
		return 1;
	chan_header();
	chan_row(d, c);
	return 0;
}

int gwctl_show_restart(const struct json_doc *d)
{
	int s = json_obj_get(d, 0, "span");
	if (s < 0)
		return 1;
	span_header();
	span_row(d, s);
	return 0;
}

int gwctl_show_reload(const struct json_doc *d)
{
	char cfg[256], notes[1024];
	printf("reloaded %s: %s\n", str(d, 0, "config", cfg, sizeof(cfg)),
	       str(d, 0, "notes", notes, sizeof(notes)));
	return 0;
}

/* The echo canceller of a call's media: "on 32.5dB" (its ERLE), "off",
 * "none" or "-" without media. */
static void fmt_ec(const struct json_doc *d, int c, char *buf, size_t cap)
{
	int m = json_obj_get(d, c, "media");
	char st[16];
	double erle;
	int e = m >= 0 ? json_obj_get(d, m, "ec_erle_db") : -1;
	if (m < 0)
		snprintf(buf, cap, "-");
	else if (strcmp(str(d, m, "ec", st, sizeof(st)), "on") == 0 && e >= 0 &&
		 json_get_double(d, e, &erle) == 0)
		snprintf(buf, cap, "on %.1fdB", erle);
	else
		snprintf(buf, cap, "%s", st);
}

int gwctl_show_calls(const struct json_doc *d)
{
	int arr = json_obj_get(d, 0, "calls");
	printf("%-6s %-11s %-11s %-10s %-16s %-16s %-7s %-10s %s\n", "ID",
	       "DIR", "STATE", "TG", "CALLED", "CALLING", "CHAN", "EC", "AGE");
	for (int i = 0, c;
	     arr >= 0 && (c = json_arr_at(d, arr, (unsigned)i)) >= 0; i++) {
		char dir[16], st[16], tg[40], called[40], calling[40], chan[16],
		    age[16], ec[24];
		if (json_obj_get(d, c, "span") >= 0)
			snprintf(chan, sizeof(chan), "%lld/%lld",
				 num(d, c, "span"), num(d, c, "channel"));
		else
			snprintf(chan, sizeof(chan), "-");
		fmt_age(num(d, c, "age_ms"), age, sizeof(age));
		fmt_ec(d, c, ec, sizeof(ec));
		printf("%-6lld %-11s %-11s %-10s %-16s %-16s %-7s %-10s %s\n",
		       num(d, c, "id"), str(d, c, "dir", dir, sizeof(dir)),
		       str(d, c, "state", st, sizeof(st)),
		       str(d, c, "trunkgroup", tg, sizeof(tg)),
		       str(d, c, "called", called, sizeof(called)),
		       str(d, c, "calling", calling, sizeof(calling)), chan, ec,
		       age);
	}
	return 0;
}

int gwctl_show_causes(const struct json_doc *d)
{
	char tg[40], text[64], ov[8];
	printf("trunk group: %s\n\nQ.850 -> SIP\n",
	       str(d, 0, "trunkgroup", tg, sizeof(tg)));
	int arr = json_obj_get(d, 0, "q850_to_sip");
	for (int i = 0, e;
	     arr >= 0 && (e = json_arr_at(d, arr, (unsigned)i)) >= 0; i++) {
		str(d, e, "text", text, sizeof(text));
		if (strcmp(text, "Unknown cause") == 0)
			continue;
		printf("  %3lld  %-48s %lld%s\n", num(d, e, "cause"), text,
		       num(d, e, "sip"),
		       strcmp(str(d, e, "override", ov, sizeof(ov)), "yes")
			   ? ""
			   : "  (override)");
	}
	printf("\nSIP -> Q.850\n");
	arr = json_obj_get(d, 0, "sip_to_q850");
	for (int i = 0, e;
	     arr >= 0 && (e = json_arr_at(d, arr, (unsigned)i)) >= 0; i++)
		printf("  %3lld  %lld%s\n", num(d, e, "sip"),
		       num(d, e, "cause"),
		       strcmp(str(d, e, "override", ov, sizeof(ov)), "yes")
			   ? ""
			   : "  (override)");
	return 0;
}

static void lat_row(const struct json_doc *d, int lat, const char *key,
		    const char *label)
{
	int l = json_obj_get(d, lat, key);
	printf("  %-26s %10lld %10.1f %10.1f %10.1f\n", label,
	       num(d, l, "count"), num(d, l, "p50_ns") / 1000.0,
	       num(d, l, "p99_ns") / 1000.0, num(d, l, "max_ns") / 1000.0);
}

int gwctl_show_media(const struct json_doc *d)
{
	static const char *const keys[] = {
	    "tdm_rx_blocks",	 "tdm_tx_blocks",  "tdm_rx_errors",
	    "tdm_tx_errors",	 "tdm_tx_full",	   "tdm_rx_slips",
	    "tdm_tx_skipped",	 "rtp_rx_packets", "rtp_tx_packets",
	    "rtp_rx_lost",	 "rtp_rx_late",	   "rtp_rx_other",
	    "rtp_jitter_us_max", "plc_frames",	   "dtmf_rx_events",
	    "dtmf_tx_digits"};
	int cnt = json_obj_get(d, 0, "counters");
	int lat = json_obj_get(d, 0, "latency");
	int io = json_obj_get(d, 0, "io");
	char mode[16];
	printf("workers %lld, channels %lld\n", num(d, 0, "workers"),
	       num(d, 0, "channels"));
	printf("socket I/O %s: %lld operations in %lld system calls, "
	       "%lld batches, %lld backlog reads\n",
	       str(d, io, "mode", mode, sizeof(mode)), num(d, io, "ops"),
	       num(d, io, "enters"), num(d, io, "batches"),
	       num(d, io, "rereads"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-18s %lld\n", keys[i], num(d, cnt, keys[i]));
	printf("added latency, us:          %10s %10s %10s %10s\n", "count",
	       "p50", "p99", "max");
	lat_row(d, lat, "tdm_to_rtp", "TDM ready -> RTP sent");
	lat_row(d, lat, "block", "TDM ready -> TDM write");
	lat_row(d, lat, "tdm_wait", "TDM ready -> read");
	return 0;
}
