#!/bin/busybox sh
# /init of the DAHDI test VM (tests/dahdi-vm/run fills in @L@ and @N@):
# DAHDI with two looped spans, pstnsim (NET) on span 1, gwd (CPE) on
# span 2, then the checks, one PASS/FAIL line each.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/sbin:/gw
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/shm; mount -t tmpfs shm /dev/shm
insmod /lib/modules/dahdi.ko auto_assign_spans=1
insmod /lib/modules/dahdi_dynamic.ko
insmod /lib/modules/dahdi_dynamic_loc.ko
dahdi_cfg || echo "dahdi_cfg failed"
L=@L@
N=@N@
EV=/tmp/events.jsonl
ok() { echo "PASS dahdi.$L.$1"; }
ko() { echo "FAIL dahdi.$L.$1: $2"; }
psim() { gwctl -s /tmp/pstnsim.ctl raw "$1"; }
# waits up to $1 seconds for command $2 to succeed
waitfor() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
count() { c=$(grep -c "$1" $EV 2>/dev/null); echo "${c:-0}"; }

pstnsim -c /gw/pstnsim.conf -C /tmp/pstnsim.ctl -l $EV > /tmp/pstnsim.log 2>&1 &
gwd -f -c /gw/gwd.conf > /tmp/gwd.log 2>&1 &

if waitfor 30 'gwctl -s /tmp/gwd.sock --json spans | grep -q "\"state\":\"up\".*\"idle\":$N,"'; then
	ok dchan_up
else
	ko dchan_up "gwd span not up with $N idle channels"
fi

# RESTART from the network: every B-channel acknowledged, all idle again
before=$(count '"type":"restart_ack"')
psim '{"cmd":"restart","span":1}' >/dev/null
if waitfor 20 '[ $(( $(count "\"type\":\"restart_ack\"") - before )) -ge $N ]' &&
   waitfor 10 'gwctl -s /tmp/gwd.sock --json spans | grep -q "\"idle\":$N,"'; then
	ok restart
else
	ko restart "$(( $(count '"type":"restart_ack"') - before )) of $N acknowledged"
fi

if [ $L = t1 ]; then
	gwctl -s /tmp/gwd.sock block 1/5 >/dev/null
	if waitfor 10 'grep -q "\"type\":\"service\",\"span\":1,\"chan\":5,\"status\":2" $EV'; then
		gwctl -s /tmp/gwd.sock unblock 1/5 >/dev/null
		if waitfor 10 'grep -q "\"type\":\"service\",\"span\":1,\"chan\":5,\"status\":0" $EV'; then
			ok service
		else
			ko service "unblock did not arrive as SERVICE in-service"
		fi
	else
		ko service "block did not arrive as SERVICE out-of-service"
	fi
fi

# B-channel bytes both ways through DAHDI: a ramp looped by the test line
psim '{"cmd":"originate","span":1,"called":"1010","source":"ramp","sink":"ramp","hangup_ms":3000}' >/dev/null
if waitfor 30 'grep -q "\"type\":\"call_released\".*\"called\":\"1010\"" $EV'; then
	line=$(grep '"type":"call_released".*"called":"1010"' $EV | head -1)
	bytes=$(echo "$line" | sed 's/.*"ramp_bytes":\([0-9]*\).*/\1/')
	errs=$(echo "$line" | sed 's/.*"ramp_errors":\([0-9]*\).*/\1/')
	case "$line" in
	*'"cause":16'*'"ramp_synced":true'*)
		if [ "$errs" = 0 ] && [ "$bytes" -gt 16000 ]; then
			ok bchan_bytes
		else
			ko bchan_bytes "ramp bytes $bytes errors $errs"
		fi ;;
	*) ko bchan_bytes "call: $line" ;;
	esac
else
	ko bchan_bytes "the test call did not complete"
fi

kill $(cat /tmp/gwd.pid 2>/dev/null) 2>/dev/null
sleep 0.5
echo "---- gwd log"; tail -15 /tmp/gwd.log
echo "---- pstnsim log"; tail -5 /tmp/pstnsim.log
poweroff -f
