/*
 * libFuzzer target for what a peer controls in gw/media/dtmf.c: RFC 4733
 * telephone-event packets and SIP INFO bodies. The first byte picks the
 * input kind:
 *  0: records of 10 bytes (4 payload, 4 RTP timestamp, 1 flags, 1 blocks)
 *     fed to a player, with played blocks in between; every payload that
 *     decodes must encode back to the same bytes (R bit aside), a refused
 *     one must be refused by the player too, and the player must never
 *     write outside its block nor report a non-DTMF digit;
 *  1: "content-type NUL body" for dtmf_info_parse(); what parses must be a
 *     DTMF digit with a duration in range, and the same digit must queue;
 *  2: linear samples for the detector; every packet it produces must
 *     decode to the event it describes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BLOCK 160

static void fuzz_packets(const uint8_t *d, size_t n)
{
	struct dtmf_play *p;
	int16_t pcm[BLOCK + 2];

	if (dtmf_play_new(&p, NULL) != 0)
		abort();
	for (uint16_t seq = 0; n >= 10; d += 10, n -= 10, seq++) {
		struct dtmf_event ev;
		uint8_t back[4];
		uint32_t ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
			      (uint32_t)d[6] << 8 | d[7];
		char dg = 0;
		int rc = dtmf_event_decode(&ev, d, 4);
		int prc = dtmf_play_rtp(p, d, 4, ts, d[8] & 1,
					(uint16_t)(seq + (d[8] >> 1)), &dg);

		if (rc == 0) {
			if (dtmf_event_encode(&ev, back, 4) != 4 ||
			    back[0] != d[0] || back[1] != (d[1] & 0xbf) ||
			    back[2] != d[2] || back[3] != d[3])
				abort();
			if (prc < 0 && prc != -ENOBUFS)
				abort();
		} else if (prc != rc) {
			abort();
		}
		if (prc == 1 && dtmf_char_event(dg) < 0)
			abort();
		for (unsigned b = 0; b < (d[9] & 7); b++) {
			pcm[BLOCK] = pcm[BLOCK + 1] = 0x5a5a;
			dtmf_play_block(p, pcm, BLOCK);
			if (pcm[BLOCK] != 0x5a5a || pcm[BLOCK + 1] != 0x5a5a)
				abort();
		}
	}
	dtmf_play_free(p);
}

static void fuzz_info(const uint8_t *d, size_t n)
{
	const uint8_t *nul = memchr(d, 0, n);
	struct pl ct, body;
	char dg = 0;
	unsigned ms = 0;
	int rc;

	if (!nul)
		return;
	ct = (struct pl){(const char *)d, (size_t)(nul - d)};
	body = (struct pl){(const char *)nul + 1, n - (size_t)(nul - d) - 1};
	rc = dtmf_info_parse(ct, body, &dg, &ms);
	if (rc == 0) {
		struct dtmf_play *p;

		if (dtmf_char_event(dg) < 0 || ms > DTMF_INFO_MAX_MS)
			abort();
		if (dtmf_play_new(&p, NULL) != 0 ||
		    dtmf_play_digit(p, dg, ms) != 0)
			abort();
		dtmf_play_free(p);
	} else if (rc != -EINVAL && rc != -ENOTSUP) {
		abort();
	}
}

static void fuzz_detect(const uint8_t *d, size_t n)
{
	static struct dtmf_detect_out out;
	struct dtmf_detect *det;
	int16_t pcm[BLOCK];
	uint32_t ts = 12345;

	if (dtmf_detect_new(&det, &(struct dtmf_detect_conf){.suppress = 1}))
		abort();
	while (n >= 2) {
		size_t k = 0;

		for (; k < BLOCK && n >= 2; k++, d += 2, n -= 2)
			pcm[k] = (int16_t)(d[0] | d[1] << 8);
		dtmf_detect_block(det, pcm, k, ts, &out);
		ts += (uint32_t)k;
		if (out.npkt > DTMF_DETECT_PKTS || out.nev > DTMF_DETECT_EVS)
			abort();
		for (size_t i = 0; i < out.npkt; i++) {
			struct dtmf_event ev;

			if (dtmf_event_decode(&ev, out.pkt[i].payload, 4) ||
			    ev.event != out.pkt[i].ev.event ||
			    ev.duration != out.pkt[i].ev.duration)
				abort();
		}
	}
	dtmf_detect_free(det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_packets(data + 1, size - 1);
		break;
	case 1:
		fuzz_info(data + 1, size - 1);
		break;
	default:
		fuzz_detect(data + 1, size > 8001 ? 8000 : size - 1);
		break;
	}
	return 0;
}
