/*
 * Span back end registry and layout facts shared by every back end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdm.h"

static const struct tdm_span_ops *const backends[] = {
    &tdm_sim_ops,
    &tdm_dahdi_ops,
};

const struct tdm_span_ops *tdm_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

unsigned tdm_layout_timeslots(enum tdm_layout layout)
{
	switch (layout) {
	case TDM_E1:
		return 31;
	case TDM_T1:
		return 24;
	}
	return 0;
}

unsigned tdm_layout_dchan(enum tdm_layout layout)
{
	switch (layout) {
	case TDM_E1:
		return 16; /* ITU-T G.704: timeslot 16 */
	case TDM_T1:
		return 24; /* ANSI T1.408: channel 24 */
	}
	return 0;
}

enum tdm_law tdm_layout_law(enum tdm_layout layout)
{
	switch (layout) {
	case TDM_E1:
		return TDM_LAW_ALAW;
	case TDM_T1:
		return TDM_LAW_ULAW;
	}
	return TDM_LAW_ALAW;
}

const char *tdm_layout_name(enum tdm_layout layout)
{
	switch (layout) {
	case TDM_E1:
		return "E1";
	case TDM_T1:
		return "T1";
	}
	return "?";
}

const char *tdm_alarm_str(unsigned alarms, char *buf, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	    {TDM_ALARM_RED, "red"},	    {TDM_ALARM_YELLOW, "yellow"},
	    {TDM_ALARM_BLUE, "blue"},	    {TDM_ALARM_LOOPBACK, "loopback"},
	    {TDM_ALARM_NOTOPEN, "notopen"},
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(alarms & names[i].bit))
			continue;
		int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "",
				 names[i].name);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	if (!n)
		snprintf(buf, cap, "none");
	return buf;
}

ssize_t tdm_bchan_recv_result(struct tdm_bchan *b, ssize_t res, size_t len)
{
	if (res < 0) {
		if (res != -EAGAIN)
			b->rx_errors++;
		return res;
	}
	/* MSG_TRUNC: res is the message's length, even past len */
	if ((size_t)res != b->blocksize || (size_t)res > len) {
		b->rx_errors++;
		return res == 0 ? -EPIPE : -EBADMSG;
	}
	b->rx_blocks++;
	return res;
}

ssize_t tdm_bchan_send_result(struct tdm_bchan *b, ssize_t res)
{
	if (res < 0)
		b->tx_errors++;
	else
		b->tx_blocks++;
	return res;
}
