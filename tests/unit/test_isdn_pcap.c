/*
 * Unit tests for gw/isdn/isdn_pcap.c: the pcap global header, record
 * headers and LINKTYPE_LINUX_LAPD pseudo-header read back byte by byte,
 * the wall-clock timestamp, and the error paths (no directory, a full
 * device).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "isdn/isdn_pcap.h"
#include "tests/unit/t.h"

static const char *tmp_path(char *buf, size_t cap, const char *tag)
{
	snprintf(buf, cap, "/tmp/test_isdn_pcap.%ld.%s.pcap", (long)getpid(),
		 tag);
	return buf;
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t host16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

TEST(headers_byte_by_byte)
{
	char path[128];
	struct isdn_pcap *p = NULL;
	/* SABME from the user side (C/R 0, SAPI 0, TEI 0), then an I-frame
	 * with a Q.931 SETUP fragment from the network side */
	const uint8_t sabme[] = {0x00, 0x01, 0x7f};
	const uint8_t info[] = {0x02, 0x01, 0x00, 0x00, 0x08,
				0x02, 0x00, 0x01, 0x05};
	tmp_path(path, sizeof(path), "a");
	CHECK_INT(isdn_pcap_open(&p, path, true), 0);
	CHECK(p != NULL);
	CHECK_INT(isdn_pcap_write_at(p, 1700000000123456ull, false, sabme,
				     sizeof(sabme)),
		  0);
	CHECK_INT(isdn_pcap_write_at(p, 1700000001000001ull, true, info,
				     sizeof(info)),
		  0);
	/* readable while open: flushed per frame */
	size_t len = 0;
	char *b = t_read_file(path, &len);
	CHECK(b != NULL);
	free(b);
	CHECK_INT(len, 24 + 2 * 32 + sizeof(sabme) + sizeof(info));
	CHECK_INT(isdn_pcap_close(p), 0);
	uint8_t *f = (uint8_t *)t_read_file(path, &len);
	unlink(path);
	CHECK(f != NULL);
	CHECK_INT(len, 24 + 2 * 32 + sizeof(sabme) + sizeof(info));
	/* global header, host byte order */
	uint32_t magic = host32(f);
	bool ok = magic == 0xa1b2c3d4 && host16(f + 4) == 2 &&
		  host16(f + 6) == 4 && host32(f + 8) == 0 &&
		  host32(f + 12) == 0 && host32(f + 16) == 65535 &&
		  host32(f + 20) == 177;
	if (!ok)
		free(f);
	CHECK(ok);
	/* record 1: time, lengths, then the pseudo-header (big-endian) */
	const uint8_t *r = f + 24;
	static const uint8_t ph_in_net[16] = {
	    0x00, 0x00, 0x20, 0xfd, 0x00, 0x01, 0x01, 0,
	    0,	  0,	0,    0,    0,	  0,	0x00, 0x30};
	ok = host32(r) == 1700000000u && host32(r + 4) == 123456u &&
	     host32(r + 8) == 16 + sizeof(sabme) &&
	     host32(r + 12) == 16 + sizeof(sabme) &&
	     memcmp(r + 16, ph_in_net, 16) == 0 &&
	     memcmp(r + 32, sabme, sizeof(sabme)) == 0;
	r += 32 + sizeof(sabme);
	ok = ok && host32(r) == 1700000001u && host32(r + 4) == 1u &&
	     host32(r + 8) == 16 + sizeof(info) && r[16] == 0x00 &&
	     r[17] == 0x04 && memcmp(r + 18, ph_in_net + 2, 14) == 0 &&
	     memcmp(r + 32, info, sizeof(info)) == 0;
	free(f);
	CHECK(ok);
}

TEST(user_side_and_wall_clock)
{
	char path[128];
	struct isdn_pcap *p = NULL;
	const uint8_t ua[] = {0x00, 0x01, 0x73};
	size_t len;
	tmp_path(path, sizeof(path), "b");
	CHECK_INT(isdn_pcap_open(&p, path, false), 0);
	time_t before = time(NULL);
	CHECK_INT(isdn_pcap_write(p, true, ua, sizeof(ua)), 0);
	time_t after = time(NULL);
	CHECK_INT(isdn_pcap_write(p, false, ua, 0), 0); /* empty frame */
	CHECK_INT(isdn_pcap_close(p), 0);
	uint8_t *f = (uint8_t *)t_read_file(path, &len);
	unlink(path);
	CHECK(f != NULL);
	bool ok = len == 24 + 32 + 3 + 32 && host32(f + 24) >= before &&
		  host32(f + 24) <= after && host32(f + 28) < 1000000 &&
		  f[24 + 17] == 4 && f[24 + 22] == 0 &&
		  memcmp(f + 24 + 32, ua, 3) == 0 && host32(f + 59 + 8) == 16 &&
		  f[59 + 17] == 0;
	free(f);
	CHECK(ok);
}

TEST(errors)
{
	struct isdn_pcap *p = (struct isdn_pcap *)&p;
	CHECK_INT(isdn_pcap_open(&p, "/nonexistent-dir/x.pcap", false),
		  -ENOENT);
	CHECK_INT(isdn_pcap_open(&p, "", false), -EINVAL);
	CHECK(p == (struct isdn_pcap *)&p); /* untouched on failure */
	/* /dev/full takes the open but no data */
	if (access("/dev/full", W_OK) == 0)
		CHECK_INT(isdn_pcap_open(&p, "/dev/full", false), -ENOSPC);
	CHECK_INT(isdn_pcap_close(NULL), 0);
}
