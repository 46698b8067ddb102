/*
 * Mapping between ITU-T Q.850 cause values and SIP status codes, as data:
 * RFC 3398 §7.2.4.1 (Q.850 -> SIP) and §8.2.6.1 (SIP -> Q.850) are the
 * defaults; a trunk group may override single entries. Transient causes
 * (RFC 3398 resource-unavailable class: 34, 38, 41, 42, 44, 47) never map
 * to a 6xx, so a proxy in front of us fails over on them.
 */
#ifndef GW_CAUSE_H
#define GW_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAUSE_MAX     127
#define CAUSE_SIP_MIN 300
#define CAUSE_SIP_MAX 699

/* One trunk group's effective tables. Plain data: copy freely. */
struct cause_map {
	uint16_t to_sip[CAUSE_MAX + 1];			    /* by Q.850 cause */
	uint8_t to_q850[CAUSE_SIP_MAX - CAUSE_SIP_MIN + 1]; /* by status */
	bool overridden_q850[CAUSE_MAX + 1];
	bool overridden_sip[CAUSE_SIP_MAX - CAUSE_SIP_MIN + 1];
};

/* Fills m with the RFC 3398 defaults. */
void cause_map_init(struct cause_map *m);

/*
 * Overrides one entry. Returns 0, or -EINVAL with a message in err for an
 * out-of-range value or a transient cause mapped to a 6xx.
 */
int cause_map_set_q850(struct cause_map *m, int cause, int status, char *err,
		       size_t cap);
int cause_map_set_sip(struct cause_map *m, int status, int cause, char *err,
		      size_t cap);

/*
 * Parses an override list "34:486, 17:600" (q850:sip) or "404:3" (sip:q850)
 * and applies it. Returns 0 or -EINVAL with a message in err.
 */
int cause_map_parse_q850(struct cause_map *m, const char *list, char *err,
			 size_t cap);
int cause_map_parse_sip(struct cause_map *m, const char *list, char *err,
			size_t cap);

/* The SIP final response for a Q.850 cause (3xx-6xx; 480 for unknown). */
int cause_to_sip(const struct cause_map *m, int cause);
/* The Q.850 cause for a SIP final response status (31 for unknown). */
int cause_from_sip(const struct cause_map *m, int status);

/* RFC 3398 §7.2.4.1 resource-unavailable causes a proxy should retry. */
bool cause_is_transient(int cause);

/* The Q.850 name of a cause ("User busy"), or "Unknown cause". */
const char *cause_text(int cause);
/* The SIP reason phrase for a status ("Busy Here"), or a generic one. */
const char *cause_sip_reason(int status);

#endif
