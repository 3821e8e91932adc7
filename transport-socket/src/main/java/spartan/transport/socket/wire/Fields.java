package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import spartan.core.ChatException;
import spartan.core.MessageBody;
import spartan.core.Recipient;

/**
 * Typed, validating reads of one request's fields. A field of the wrong type fails with {@code
 * INVALID_ARGUMENT} naming the field; absent and {@code null} fields are the same. Not thread-safe;
 * one instance per request.
 */
public final class Fields {
  private final ObjectNode node;

  public Fields(ObjectNode node) {
    this.node = node;
  }

  private JsonNode get(String name) {
    JsonNode v = node.get(name);
    return v == null || v.isNull() ? null : v;
  }

  public boolean has(String name) {
    return get(name) != null;
  }

  public String string(String name) {
    String s = optString(name);
    if (s == null) {
      throw ChatException.invalid("field '" + name + "' is required");
    }
    return s;
  }

  public String optString(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw ChatException.invalid("field '" + name + "' must be a string");
    }
    return v.textValue();
  }

  public long optLong(String name, long dflt) {
    JsonNode v = get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ChatException.invalid("field '" + name + "' must be an integer");
    }
    return v.longValue();
  }

  public long longValue(String name) {
    if (!has(name)) {
      throw ChatException.invalid("field '" + name + "' is required");
    }
    return optLong(name, 0);
  }

  public int optInt(String name, int dflt) {
    long v = optLong(name, dflt);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw ChatException.invalid("field '" + name + "' is out of range");
    }
    return (int) v;
  }

  public boolean optBoolean(String name, boolean dflt) {
    JsonNode v = get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw ChatException.invalid("field '" + name + "' must be true or false");
    }
    return v.booleanValue();
  }

  public boolean bool(String name) {
    if (!has(name)) {
      throw ChatException.invalid("field '" + name + "' is required");
    }
    return optBoolean(name, false);
  }

  public List<String> strings(String name) {
    JsonNode v = get(name);
    if (v == null) {
      throw ChatException.invalid("field '" + name + "' is required");
    }
    if (!v.isArray()) {
      throw ChatException.invalid("field '" + name + "' must be an array of strings");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw ChatException.invalid("field '" + name + "' must be an array of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** Exactly one of {@code userField} and {@code group}: a user or a group recipient. */
  public Recipient recipient(String userField) {
    String user = optString(userField);
    String group = optString("group");
    if ((user == null) == (group == null)) {
      throw ChatException.invalid("exactly one of '" + userField + "' and 'group' is required");
    }
    return user != null ? Recipient.user(user) : Recipient.group(group);
  }

  /** A required standard-base64 field, decoded. */
  public byte[] base64(String name) {
    try {
      return Base64.getDecoder().decode(string(name));
    } catch (IllegalArgumentException e) {
      throw ChatException.invalid("field '" + name + "' must be standard base64");
    }
  }

  /** Exactly one of {@code body} (text) and {@code sealed} (base64 envelope). */
  public MessageBody body() {
    String text = optString("body");
    String sealed = optString("sealed");
    if ((text == null) == (sealed == null)) {
      throw ChatException.invalid("exactly one of 'body' and 'sealed' is required");
    }
    if (text != null) {
      return MessageBody.text(text);
    }
    try {
      return MessageBody.sealed(Base64.getDecoder().decode(sealed));
    } catch (IllegalArgumentException e) {
      throw ChatException.invalid("field 'sealed' must be standard base64");
    }
  }
}
