-- Events pushed by departmental or partner systems (rdv-insertion's webhook scheme): the last
-- event time seen per resource, so that an older event arriving late is dropped.
CREATE TABLE inbound_event_state (
    instance_id  uuid NOT NULL REFERENCES connector_instance (id) ON DELETE CASCADE,
    model        text NOT NULL,
    resource_id  text NOT NULL,
    last_event_at timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, model, resource_id)
);
