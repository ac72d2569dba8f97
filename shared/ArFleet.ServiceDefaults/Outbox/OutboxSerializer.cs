using System.Text.Json;
using MassTransit.Serialization;

namespace ArFleet.ServiceDefaults;

/// <summary>How an event is kept in outbox_messages: its CLR type as "Namespace.Type, Assembly" (no version, so rows
/// written before a deploy still read after it) and its JSON under MassTransit's own System.Text.Json options, so
/// it reads back exactly as MassTransit would have put it on the wire.</summary>
public static class OutboxSerializer
{
    public static (string MessageType, string Body) Serialize(object message)
    {
        var type = message.GetType();
        return ($"{type.FullName}, {type.Assembly.GetName().Name}", JsonSerializer.Serialize(message, type, SystemTextJsonMessageSerializer.Options));
    }

    public static (object Message, Type Type) Deserialize(string messageType, string body)
    {
        var type = Type.GetType(messageType, throwOnError: true)!;
        return (JsonSerializer.Deserialize(body, type, SystemTextJsonMessageSerializer.Options)!, type);
    }
}
