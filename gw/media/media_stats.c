/*
 * The media counters as the API shows them (media.h): the table of their
 * names and places, their sums, and the names of tone, fax and echo
 * canceller states.
 */
#include <stddef.h>
#include <stdint.h>

#include "media.h"
#include "media_int.h"

#define MEDIA_COUNTER(f)                                                       \
	{                                                                      \
#f, offsetof(struct media_stats, f)                            \
	}
const struct media_counter media_counters[] = {
    MEDIA_COUNTER(tdm_rx_blocks),  MEDIA_COUNTER(tdm_tx_blocks),
    MEDIA_COUNTER(tdm_rx_errors),  MEDIA_COUNTER(tdm_tx_errors),
    MEDIA_COUNTER(tdm_tx_full),	   MEDIA_COUNTER(tdm_rx_slips),
    MEDIA_COUNTER(tdm_tx_skipped), MEDIA_COUNTER(rtp_rx_packets),
    MEDIA_COUNTER(rtp_tx_packets), MEDIA_COUNTER(rtp_rx_lost),
    MEDIA_COUNTER(rtp_rx_late),	   MEDIA_COUNTER(rtp_rx_discarded),
    MEDIA_COUNTER(rtp_rx_other),   MEDIA_COUNTER(plc_frames),
    MEDIA_COUNTER(rtp_latched),	   MEDIA_COUNTER(dtmf_rx_events),
    MEDIA_COUNTER(dtmf_tx_digits), MEDIA_COUNTER(rtcp_rx_packets),
    MEDIA_COUNTER(rtcp_rx_bad),	   MEDIA_COUNTER(rtcp_tx_packets),
    MEDIA_COUNTER(peer_reports),
};
const unsigned media_ncounters =
    sizeof(media_counters) / sizeof(media_counters[0]);

/* Adds st's counters to sum; of the jitter, the worst is kept. The other
 * fields (states and levels: EC, fax, tones, jitter buffer delay, the
 * peer's RTCP figures, RTT) are left as they are in sum. */
void media_stats_sum(struct media_stats *sum, const struct media_stats *st)
{
	for (unsigned i = 0; i < media_ncounters; i++)
		*(uint64_t *)(void *)((char *)sum + media_counters[i].off) +=
		    media_counter_get(st, i);
	if (st->rtp_jitter_us > sum->rtp_jitter_us)
		sum->rtp_jitter_us = st->rtp_jitter_us;
}

const char *media_tone_name(uint64_t bit)
{
	if (bit >= 1u << MEDIA_TONE_RTP_SHIFT)
		bit >>= MEDIA_TONE_RTP_SHIFT;
	switch (bit) {
	case MEDIA_TONE_CNG:
		return "cng";
	case MEDIA_TONE_CED:
		return "ced";
	case MEDIA_TONE_ANS_PR:
		return "ans-pr";
	case MEDIA_TONE_ANSAM:
		return "ansam";
	case MEDIA_TONE_ANSAM_PR:
		return "ansam-pr";
	}
	return "?";
}

const char *media_fax_name(uint64_t fax)
{
	return fax == MEDIA_FAX_CNG   ? "cng"
	       : fax == MEDIA_FAX_CED ? "ced"
				      : NULL;
}

const char *media_ec_state_name(uint64_t state)
{
	static const char *const names[] = {
	    [MEDIA_EC_NONE] = "none",
	    [MEDIA_EC_ON] = "on",
	    [MEDIA_EC_OFF_TONE] = "off",
	    [MEDIA_EC_OFF_FAX] = "off",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
