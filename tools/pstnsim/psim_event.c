/*
 * pstnsim's event log: every observation (link state, Q.931 message sent
 * or received, call state, SERVICE, RESTART, audio findings) becomes one
 * JSON object with a sequence number and a time, appended to the log file
 * (-l) and kept in a bounded ring that the `events` command returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "psim.h"

int psim_events_init(struct psim *p, const char *path, unsigned cap)
{
	json_out_init(&p->ev);
	p->ring = calloc(cap, sizeof(*p->ring));
	p->ring_seq = calloc(cap, sizeof(*p->ring_seq));
	if (!p->ring || !p->ring_seq)
		return -ENOMEM;
	p->ring_cap = cap;
	if (path) {
		p->events_file = fopen(path, "we");
		if (!p->events_file)
			return -errno;
	}
	return 0;
}

void psim_events_fini(struct psim *p)
{
	for (unsigned i = 0; i < p->ring_cap && p->ring; i++)
		free(p->ring[i]);
	free(p->ring);
	free(p->ring_seq);
	p->ring = NULL;
	p->ring_seq = NULL;
	json_out_free(&p->ev);
	if (p->events_file)
		fclose(p->events_file);
	p->events_file = NULL;
}

struct json_out *psim_event_begin(struct psim *p, const char *type)
{
	json_out_reset(&p->ev);
	json_obj_begin(&p->ev);
	json_kv_uint(&p->ev, "seq", ++p->event_seq);
	json_kv_uint(&p->ev, "t_ms", loop_now_ms(p->loop) - p->started_ms);
	json_kv_str(&p->ev, "type", type);
	return &p->ev;
}

void psim_event_end(struct psim *p)
{
	json_obj_end(&p->ev);
	if (p->ev.err)
		return; /* out of memory: the event is lost, not the process */
	if (p->events_file) {
		fwrite(p->ev.buf, 1, p->ev.len, p->events_file);
		fputc('\n', p->events_file);
		fflush(p->events_file);
	}
	unsigned slot = (p->ring_head + p->ring_len) % p->ring_cap;
	if (p->ring_len == p->ring_cap) {
		slot = p->ring_head;
		p->ring_head = (p->ring_head + 1) % p->ring_cap;
	} else {
		p->ring_len++;
	}
	free(p->ring[slot]);
	p->ring[slot] = strndup(p->ev.buf, p->ev.len);
	p->ring_seq[slot] = p->event_seq;
}

void psim_events_put(struct psim *p, struct json_out *o, uint64_t since,
		     unsigned max)
{
	json_arr_begin(o);
	unsigned n = 0;
	for (unsigned i = 0; i < p->ring_len && n < max; i++) {
		unsigned slot = (p->ring_head + i) % p->ring_cap;
		if (p->ring_seq[slot] <= since || !p->ring[slot])
			continue;
		json_raw(o, p->ring[slot], strlen(p->ring[slot]));
		n++;
	}
	json_arr_end(o);
}
