-- Events written in the same transaction as the state change they announce; OutboxRelay publishes them in id
-- order and deletes each once RabbitMQ has confirmed it. Shared by every service that adopts the outbox.
CREATE TABLE outbox_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_type text NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
