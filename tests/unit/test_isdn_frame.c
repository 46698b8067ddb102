/*
 * Unit tests for the D-channel frame decoder: LAPD frame kinds and the
 * Q.931 fields operators and tests read (Q.921 §3, Q.931 §4).
 */
#include <errno.h>
#include <stdint.h>

#include "isdn/isdn_frame.h"
#include "tests/unit/t.h"

TEST(lapd_unnumbered)
{
	struct isdn_frame f;
	const uint8_t sabme[] = {0x02, 0x01, 0x7f};
	CHECK_INT(isdn_frame_decode(&f, sabme, sizeof(sabme)), 0);
	CHECK_INT(f.kind, ISDN_FRAME_U);
	CHECK_STR(f.lapd, "SABME");
	CHECK_INT(f.sapi, 0);
	CHECK_INT(f.tei, 0);
	CHECK(f.cr);
	const uint8_t disc[] = {0x00, 0x01, 0x53};
	CHECK_INT(isdn_frame_decode(&f, disc, sizeof(disc)), 0);
	CHECK_STR(f.lapd, "DISC");
	CHECK(!f.cr);
	const uint8_t rr[] = {0x02, 0x01, 0x01, 0x03};
	CHECK_INT(isdn_frame_decode(&f, rr, sizeof(rr)), 0);
	CHECK_INT(f.kind, ISDN_FRAME_S);
	CHECK_STR(f.lapd, "RR");
	CHECK(!f.has_q931);
}

TEST(bad_address)
{
	struct isdn_frame f;
	const uint8_t ea_wrong[] = {0x03, 0x01, 0x7f}; /* EA set on octet 1 */
	CHECK_INT(isdn_frame_decode(&f, ea_wrong, sizeof(ea_wrong)), -EBADMSG);
	CHECK_INT(f.kind, ISDN_FRAME_BAD);
	CHECK_INT(isdn_frame_decode(&f, ea_wrong, 2), -EBADMSG);
}

TEST(setup_fields)
{
	const uint8_t setup[] = {
	    0x00, 0x01, 0x00, 0x00,	       /* I-frame */
	    0x08, 0x02, 0x00, 0x2a, 0x05,      /* SETUP, cref 42 */
	    0x04, 0x03, 0x80, 0x90, 0xa3,      /* bearer: speech A-law */
	    0x18, 0x03, 0xa9, 0x83, 0x85,      /* channel 5 exclusive */
	    0x6c, 0x04, 0x21, 0x80, '3',  '0', /* calling 30, pres */
	    0x70, 0x04, 0xa1, '4',  '9',  '3', /* called 493 */
	};
	struct isdn_frame f;
	CHECK_INT(isdn_frame_decode(&f, setup, sizeof(setup)), 0);
	CHECK(f.has_q931);
	CHECK_STR(f.msg, "SETUP");
	CHECK_INT(f.cref, 42);
	CHECK(!f.cref_flag);
	CHECK_INT(f.chan, 5);
	CHECK_STR(f.calling, "30");
	CHECK_STR(f.called, "493");
	CHECK_INT(f.cause, -1);
	CHECK(!f.bad_ie);
}

TEST(disconnect_cause_and_progress)
{
	const uint8_t disc[] = {
	    0x00, 0x01, 0x02, 0x02, 0x08, 0x02, 0x80,
	    0x01, 0x45, 0x08, 0x02, 0x80, 0x91, /* cause 17, location user */
	    0x1e, 0x02, 0x82, 0x88,		/* progress 8 */
	};
	struct isdn_frame f;
	CHECK_INT(isdn_frame_decode(&f, disc, sizeof(disc)), 0);
	CHECK_STR(f.msg, "DISCONNECT");
	CHECK(f.cref_flag);
	CHECK_INT(f.cref, 1);
	CHECK_INT(f.cause, 17);
	CHECK_INT(f.progress, 8);
}

TEST(service_by_protocol_discriminator)
{
	/* National ISDN (0x43): 0x07 is SERVICE; AT&T (0x03): 0x0f is */
	uint8_t svc[] = {0x00, 0x01, 0x00, 0x00, 0x43, 0x01, 0x00, 0x07,
			 0x01, 0x01, 0x82, 0x18, 0x03, 0xa9, 0x83, 0x85};
	struct isdn_frame f;
	CHECK_INT(isdn_frame_decode(&f, svc, sizeof(svc)), 0);
	CHECK_STR(f.msg, "SERVICE");
	CHECK_INT(f.change_status, 2);
	CHECK_INT(f.chan, 5);
	svc[4] = 0x03;
	CHECK_INT(isdn_frame_decode(&f, svc, sizeof(svc)), 0);
	CHECK_STR(f.msg, "SERVICE ACKNOWLEDGE");
}

TEST(truncated_ie_and_codeset_shift)
{
	const uint8_t trunc[] = {0x00, 0x01, 0x00, 0x00, 0x08, 0x01,
				 0x01, 0x5a, 0x08, 0x09, 0x80};
	struct isdn_frame f;
	CHECK_INT(isdn_frame_decode(&f, trunc, sizeof(trunc)), 0);
	CHECK_STR(f.msg, "RELEASE COMPLETE");
	CHECK(f.bad_ie);
	CHECK_INT(f.cause, -1);
	/* a cause IE after a locking shift to codeset 6 is not Q.931's */
	const uint8_t shifted[] = {0x00, 0x01, 0x00, 0x00, 0x08, 0x01, 0x01,
				   0x5a, 0x96, 0x08, 0x02, 0x80, 0x90};
	CHECK_INT(isdn_frame_decode(&f, shifted, sizeof(shifted)), 0);
	CHECK_INT(f.cause, -1);
}

TEST(sending_complete_and_redirecting_number)
{
	const uint8_t setup[] = {
	    0x00, 0x01, 0x00, 0x00,	  /* I-frame */
	    0x08, 0x02, 0x00, 0x2b, 0x05, /* SETUP, cref 43 */
	    0xa1,			  /* Sending complete */
	    0x74, 0x06, 0x21, 0x00, 0x82,
	    '3',  '0',	'1',		 /* redirecting:
					    no reply */
	    0x70, 0x03, 0xa1, '4',  '9', /* called 49 */
	};
	struct isdn_frame f;
	CHECK_INT(isdn_frame_decode(&f, setup, sizeof(setup)), 0);
	CHECK(f.sending_complete);
	CHECK_STR(f.redirecting, "301");
	CHECK_INT(f.redirecting_reason, 2);
	CHECK_STR(f.called, "49");
	/* octet 3 alone (extension bit set): digits follow, no reason */
	const uint8_t info[] = {
	    0x00, 0x01, 0x00, 0x00, 0x08, 0x02, 0x80, 0x2b, 0x7b,
	    0x74, 0x03, 0xa1, '5',  '5',  0x70, 0x02, 0x80, '7',
	};
	CHECK_INT(isdn_frame_decode(&f, info, sizeof(info)), 0);
	CHECK_STR(f.msg, "INFORMATION");
	CHECK(!f.sending_complete);
	CHECK_STR(f.redirecting, "55");
	CHECK_INT(f.redirecting_reason, -1);
	CHECK_STR(f.called, "7");
	/* a Redirecting number IE cut short is safe */
	const uint8_t cut[] = {0x00, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00,
			       0x2b, 0x05, 0x74, 0x02, 0x21, 0x00};
	CHECK_INT(isdn_frame_decode(&f, cut, sizeof(cut)), 0);
	CHECK_STR(f.redirecting, "");
}
