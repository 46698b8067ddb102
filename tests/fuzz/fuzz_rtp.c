/*
 * libFuzzer target: RTP and RTCP parsing (gw/media/rtp.c) read every
 * datagram a peer sends, and what parses flows into the receiver
 * statistics and the jitter buffer. An RTP packet that parses must build
 * back to the same bytes (padding contents aside) and parse the same; an
 * RTCP compound that parses and names a CNAME must build and parse back
 * to the same report.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/jb.h"
#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[1 << 17];
static struct rtp_source src;
static struct jb *jb;
static uint64_t clock_samples;

static void check_rtp(const uint8_t *data, size_t size)
{
	struct rtp_hdr h, g;
	const uint8_t *pl, *pl2;
	size_t plen, plen2;
	if (rtp_parse(&h, &pl, &plen, data, size) != 0)
		return;
	int n = rtp_build(out, sizeof(out), &h, pl, plen);
	if (n < 0 || (size_t)n != size)
		abort();
	size_t body = size - h.pad_len;
	if (memcmp(out, data, body) != 0 || out[size - 1] != data[size - 1])
		abort();
	if (rtp_parse(&g, &pl2, &plen2, out, size) != 0 || plen2 != plen ||
	    g.seq != h.seq || g.ts != h.ts || g.ssrc != h.ssrc ||
	    g.cc != h.cc || g.ext_len != h.ext_len || g.pad_len != h.pad_len)
		abort();
	rtp_source_update(&src, &h, h.ts + (uint32_t)(size * 7), plen);
	struct rtcp_rb rb;
	rtp_source_report(&src, &rb, (uint64_t)size << 32);
	if (!jb) {
		const struct jb_conf c = {
		    .law = JB_LAW_ULAW, .min_ms = 20, .max_ms = 200, .k = 4};
		jb = jb_new(&c);
		if (!jb)
			abort();
	}
	struct jb_pkt p = {.payload = pl,
			   .len = plen,
			   .seq = h.seq,
			   .ts = h.ts,
			   .ssrc = h.ssrc,
			   .marker = h.marker,
			   .arrival = clock_samples + (size & 255)};
	jb_put(jb, &p);
	int16_t lin[160];
	if (jb_get(jb, lin, 160, clock_samples) != 0)
		abort();
	clock_samples += 160;
}

static void check_rtcp(const uint8_t *data, size_t size)
{
	struct rtcp_report r, g;
	if (rtcp_parse(&r, data, size) != 0)
		return;
	if (r.rb_count > RTCP_MAX_RB)
		abort();
	int n = rtcp_build(out, sizeof(out), &r);
	if (r.cname[0] == '\0') {
		if (n >= 0)
			abort();
		return;
	}
	if (n < 0 || rtcp_parse(&g, out, (size_t)n) != 0)
		abort();
	if (g.ssrc != r.ssrc || g.is_sr != r.is_sr ||
	    g.rb_count != r.rb_count || g.bye != r.bye ||
	    strcmp(g.cname, r.cname) != 0 ||
	    (r.is_sr && memcmp(&g.sr, &r.sr, sizeof(r.sr)) != 0))
		abort();
	for (unsigned i = 0; i < r.rb_count; i++)
		if (memcmp(&g.rb[i], &r.rb[i], sizeof(r.rb[i])) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_rtp(data, size);
	check_rtcp(data, size);
	return 0;
}
