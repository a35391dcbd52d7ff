SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss', 'Europe/London') AS ts, wlan_sa[1], wlan_ssid[1] FROM PCAP_PROBE WHERE wlan_ssid[1] = 'RNM0' EMIT CHANGES;
