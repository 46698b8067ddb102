/*
 * The daemon's top-level context: one per gwd process, created by main.c
 * and handed to each part; it owns the loop, the configuration in force
 * and the parts. Not a global: tests create their own.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct conf;
struct isdn;
struct media;
struct ctl;
struct call_table;
struct sip_tp;
struct sip_txn;
struct sip_ua;

struct gw {
	struct loop *loop;
	struct conf *conf; /* in force; replaced by reload */
	struct isdn *isdn;
	struct media *media;
	struct ctl *ctl;
	struct call_table *calls;
	struct sip_tp *sip_tp;	 /* SIP transports */
	struct sip_txn *sip_txn; /* SIP transactions */
	struct sip_ua *sip_ua;	 /* SIP UA core and sessions */
	char conf_path[256];
	bool shutting_down;
	uint64_t started_ms;
	unsigned reloads;
};

#endif
