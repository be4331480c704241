-- Re-routing leaves alone the tickets whose owner a person set: their
-- `routed_by` (0007) reads `set by <name>` from now on. Tickets people gave
-- a team before this migration are marked from their history: the last
-- `assigned` event that named an owner, or the opening of a ticket made
-- by hand with one.
UPDATE tickets SET routed_by = 'set by ' || (
    SELECT e.actor FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind = 'assigned' AND e.data LIKE '{"owner":%'
    ORDER BY e.id DESC LIMIT 1
)
WHERE EXISTS (
    SELECT 1 FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind = 'assigned' AND e.data LIKE '{"owner":%'
);

UPDATE tickets SET routed_by = 'set by ' || (
    SELECT e.actor FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind = 'opened'
    ORDER BY e.id LIMIT 1
)
WHERE routed_by IS NULL AND owner IS NOT NULL
    AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.kind = 'opened')
    AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.ticket_id = tickets.id);
