"""core.line_protocol and core.telegraf: Telegraf's output becomes host metrics; bad lines are named."""

from __future__ import annotations

from core import line_protocol, payloads, telegraf

NOW = 1_733_612_400.0
NS = int(NOW * 1e9)
HOST_RANGES = {name: (low, high) for name, low, high in payloads.type_ranges("host")}


def test_escapes_quoted_strings_and_value_types_follow_the_protocol():
    (point,) = [
        p for _, p in line_protocol.parse(rf'my\ m,a\,b=c\=d s="x \"y\", z",i=-3i,u=7u,b=T,f=1e3 {NS}')[0]
    ]
    assert point.measurement == "my m"
    assert point.tags == {"a,b": "c=d"}
    assert point.fields == {"s": 'x "y", z', "i": -3, "u": 7, "b": True, "f": 1000.0}
    assert point.ts_ns == NS


def test_each_bad_line_is_named_and_the_others_parse():
    text = f"mem used_percent=10 {NS}\n\n# note\ncpu usage_idle=\nmem used_percent=no\nsystem load1=1 1x\n"
    points, bad = line_protocol.parse(text)
    assert [number for number, _ in points] == [1]
    assert [line.number for line in bad] == [4, 5, 6]


def test_telegraf_inputs_map_onto_host_metrics_one_reading_per_timestamp():
    text = "\n".join(
        [
            f"cpu,cpu=cpu0,host=h usage_idle=10 {NS}",  # per-core: not the host's figure
            f"cpu,cpu=cpu-total,host=h usage_idle=68.75,usage_user=25.0 {NS}",
            f"mem,host=h used_percent=15.95004011996231 {NS}",
            f"disk,path=/,host=h used_percent=20.5 {NS}",
            f"disk,path=/data,host=h used_percent=93.0 {NS}",
            f"system,host=h load1=3.72,load5=2.4,n_cpus=4i {NS}",
            f'system,host=h uptime_format="14 days, 11:07" {NS}',
            f"temp,sensor=coretemp_physicalid0_crit temp=100 {NS}",
            f"temp,sensor=coretemp_physicalid0_input temp=61 {NS}",
            f"net,interface=eth0 bytes_recv=1i {NS}",
        ]
    )
    points, bad = line_protocol.parse(text)
    by_ts, refused = telegraf.readings(points, NOW, HOST_RANGES)
    assert bad == [] and refused == []
    assert by_ts == {
        NOW: {
            "cpu_percent": 31.25,
            "mem_percent": 15.95004011996231,
            "disk_percent": 93.0,  # the fullest disk is the one an alert is about
            "load1": 3.72,
            "temperature": 61.0,
        }
    }


def test_a_mapped_value_out_of_range_or_a_stale_timestamp_refuses_its_line():
    text = f"mem used_percent=140 {NS}\nsystem load1=1 {NS - 40 * 86400 * 10**9}\nmem used_percent=5 {NS}"
    by_ts, refused = telegraf.readings(line_protocol.parse(text)[0], NOW, HOST_RANGES)
    assert [(line.number, line.reason) for line in refused] == [
        (1, "mem_percent out of range"),
        (2, "timestamp out of range"),
    ]
    assert by_ts == {NOW: {"mem_percent": 5.0}}
