-- The W3C traceparent of the span that created an invocation (an execution's call, or an API
-- request), sent to the agent with the command so its span joins that trace; NULL when tracing was off.
ALTER TABLE invocations ADD COLUMN traceparent TEXT;
