// Package delivery holds IMP's outbound connectors: the code that hands a
// processed message to a system outside IMP. Every connector implements one
// two-method interface, Connector, and is built by its own constructor
// (NewWebhook, NewMLLP, NewEmail, NewSMS, NewFile) from an options struct
// with defaults. Where a message goes is a Destination, a plain
// JSON-serialisable struct configured per partner or customer.
//
// Deliveries are at-least-once: a consumer retries a failed delivery, so
// every connector carries Message.ID where the receiver can dedupe on it
// (Idempotency-Key header, SMS reference, Message-ID header, MSH-10, file
// name). Failures are classified for the consumer runtime's retry ladder:
// an error for which IsPermanent reports true goes to the dead-letter queue,
// anything else is retried. The classification uses the Permanent() bool
// method contract, so this package does not import internal/consumer.
//
// This package must never:
//   - log, or put into error strings, message bodies, subjects, attachment
//     names, recipients (email addresses, phone numbers), URL paths or
//     queries, secrets, or what a receiver answered in a body. Logs carry
//     the message id and kind, the connector, the destination host, the
//     outcome and the latency; errors carry status codes and protocol codes.
//   - change a message's body on its way out (the MLLP connector reads MSH-10
//     but does not rewrite it; the file connector writes the bytes as given).
//   - silently drop part of a message: a connector that cannot carry
//     attachments rejects a message that has them.
//   - know about IMP's domain or the consumer runtime.
package delivery
