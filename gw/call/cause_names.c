/*
 * Names of Q.850 cause values (ITU-T Q.850 Table 1) and SIP reason phrases
 * (RFC 3261 §21 and later RFCs), for Reason headers, logs and gwctl.
 */
#include <stddef.h>

#include "cause.h"

static const char *const q850_names[CAUSE_MAX + 1] = {
    [1] = "Unallocated (unassigned) number",
    [2] = "No route to specified transit network",
    [3] = "No route to destination",
    [4] = "Send special information tone",
    [5] = "Misdialled trunk prefix",
    [6] = "Channel unacceptable",
    [7] = "Call awarded and being delivered in an established channel",
    [8] = "Preemption",
    [9] = "Preemption - circuit reserved for reuse",
    [16] = "Normal call clearing",
    [17] = "User busy",
    [18] = "No user responding",
    [19] = "No answer from user (user alerted)",
    [20] = "Subscriber absent",
    [21] = "Call rejected",
    [22] = "Number changed",
    [23] = "Redirection to new destination",
    [25] = "Exchange routing error",
    [26] = "Non-selected user clearing",
    [27] = "Destination out of order",
    [28] = "Invalid number format (address incomplete)",
    [29] = "Facility rejected",
    [30] = "Response to STATUS ENQUIRY",
    [31] = "Normal, unspecified",
    [34] = "No circuit/channel available",
    [38] = "Network out of order",
    [39] = "Permanent frame mode connection out of service",
    [40] = "Permanent frame mode connection operational",
    [41] = "Temporary failure",
    [42] = "Switching equipment congestion",
    [43] = "Access information discarded",
    [44] = "Requested circuit/channel not available",
    [46] = "Precedence call blocked",
    [47] = "Resource unavailable, unspecified",
    [49] = "Quality of service not available",
    [50] = "Requested facility not subscribed",
    [53] = "Outgoing calls barred within CUG",
    [55] = "Incoming calls barred within CUG",
    [57] = "Bearer capability not authorized",
    [58] = "Bearer capability not presently available",
    [62] = "Inconsistency in designated outgoing access information and "
	   "subscriber class",
    [63] = "Service or option not available, unspecified",
    [65] = "Bearer capability not implemented",
    [66] = "Channel type not implemented",
    [69] = "Requested facility not implemented",
    [70] = "Only restricted digital information bearer capability is "
	   "available",
    [79] = "Service or option not implemented, unspecified",
    [81] = "Invalid call reference value",
    [82] = "Identified channel does not exist",
    [83] = "A suspended call exists, but this call identity does not",
    [84] = "Call identity in use",
    [85] = "No call suspended",
    [86] = "Call having the requested call identity has been cleared",
    [87] = "User not member of CUG",
    [88] = "Incompatible destination",
    [90] = "Non-existent CUG",
    [91] = "Invalid transit network selection",
    [95] = "Invalid message, unspecified",
    [96] = "Mandatory information element is missing",
    [97] = "Message type non-existent or not implemented",
    [98] = "Message not compatible with call state or message type "
	   "non-existent or not implemented",
    [99] = "Information element/parameter non-existent or not "
	   "implemented",
    [100] = "Invalid information element contents",
    [101] = "Message not compatible with call state",
    [102] = "Recovery on timer expiry",
    [103] = "Parameter non-existent or not implemented, passed on",
    [110] = "Message with unrecognized parameter, discarded",
    [111] = "Protocol error, unspecified",
    [127] = "Interworking, unspecified",
};

const char *cause_text(int cause)
{
	if (cause < 0 || cause > CAUSE_MAX || !q850_names[cause])
		return "Unknown cause";
	return q850_names[cause];
}

struct sip_phrase {
	int status;
	const char *text;
};

static const struct sip_phrase sip_phrases[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {200, "OK"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
};

const char *cause_sip_reason(int status)
{
	for (size_t i = 0; i < sizeof(sip_phrases) / sizeof(sip_phrases[0]);
	     i++)
		if (sip_phrases[i].status == status)
			return sip_phrases[i].text;
	if (status >= 600)
		return "Global Failure";
	if (status >= 500)
		return "Server Error";
	if (status >= 400)
		return "Request Failure";
	if (status >= 300)
		return "Redirection";
	if (status >= 200)
		return "Success";
	return "Provisional";
}
