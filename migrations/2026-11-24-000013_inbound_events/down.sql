DROP TABLE inbound_event_state;
