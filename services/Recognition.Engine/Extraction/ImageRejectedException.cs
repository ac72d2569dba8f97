namespace ArFleet.Recognition.Engine;

/// <summary>An image that cannot be used: over the limits (see ImageInspector), or not decodable. A result, not a failure.</summary>
public class ImageRejectedException(string reason) : Exception(reason);
