package spartan.core.store.redis;

/**
 * The Lua scripts of the Redis store. Each touches the keys of one hash tag only (keys it builds
 * from a prefix passed in carry that same tag), so each runs in one slot of a Redis Cluster.
 * Numbers cross as decimal strings; Lua's numbers are exact for ids and sequences below 2^53.
 */
final class Scripts {
  private Scripts() {}

  /**
   * Records a message in its conversation: de-duplicates by client id, checks that the id is
   * newer than the conversation's newest, appends it to the history and records a pending
   * fan-out to its recipients. KEYS: conversation hash, history stream, pending hash, group meta.
   * ARGV: id,
   * de-duplication field ('' for none), sender account id, message, recipients, most pending
   * fan-outs (-2 past it, writing nothing). Returns {1, id,
   * '', pending ids}, or {0, original id, original message, pending ids} for a duplicate, or
   * {-1, newest id} when the id is too old (another node wrote a newer one first). For a group,
   * KEYS[4] is its meta hash and ARGV[7] its id ('' for a direct conversation): {-3, ''}, writing
   * nothing, if the group is gone or is another of the same name, so a send racing the group's
   * deletion leaves nothing behind for a group re-created under its name to read.
   */
  static final RedisScript RECORD =
      new RedisScript(
          """
          if ARGV[7] ~= '' and redis.call('HGET', KEYS[4], 'id') ~= ARGV[7] then
            return {-3, ''}
          end
          if ARGV[2] ~= '' then
            local seen = redis.call('HGET', KEYS[1], ARGV[2])
            if seen then
              local sep = string.find(seen, ':', 1, true)
              local id = string.sub(seen, 1, sep - 1)
              if string.sub(seen, sep + 1) == ARGV[3] then
                local e = redis.call('XRANGE', KEYS[2], id .. '-0', id .. '-0')
                local body = ''
                if e[1] then body = e[1][2][2] end
                return {0, id, body, redis.call('HKEYS', KEYS[3])}
              end
            end
          end
          local last = redis.call('HGET', KEYS[1], 'last') or '0'
          if tonumber(ARGV[1]) <= tonumber(last) then return {-1, last} end
          if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[6]) then return {-2, ''} end
          redis.call('XADD', KEYS[2], ARGV[1] .. '-0', 'm', ARGV[4])
          redis.call('HSET', KEYS[1], 'last', ARGV[1])
          if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. ':' .. ARGV[3]) end
          redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
          return {1, ARGV[1], '', redis.call('HKEYS', KEYS[3])}
          """);

  /**
   * Appends messages of one conversation to one inbox, each once: a message whose id is not above
   * the inbox's watermark for the conversation is already there. KEYS: account, inbox stream,
   * box hash, watermark hash, groups index, presence hash. ARGV: conversation, group name ('' for
   * a direct conversation), then (id, message) pairs in id order. Returns {-1} if the account is
   * gone or is not the one the messages were for, else each message's sequence (0 if it was there
   * already) followed by one more element: the nodes holding the user's live streams now (those
   * with a positive count in the presence hash), so the caller need not read them again. A name
   * deleted and taken again is another account: a direct conversation {@code d:<id>:<id>} names
   * both accounts' ids, and a group's messages go only to accounts that list the group, so a
   * fan-out resumed after the name changed hands stops at the new account.
   */
  static final RedisScript INSERT =
      new RedisScript(
          """
          local acct = redis.call('HGET', KEYS[1], 'id')
          if not acct then return {-1} end
          local a, b = string.match(ARGV[1], '^d:(%d+):(%d+)$')
          if a then
            if acct ~= a and acct ~= b then return {-1} end
          elseif ARGV[2] ~= '' and not redis.call('ZSCORE', KEYS[5], ARGV[2]) then
            return {-1}
          end
          local wm = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
          local out = {}
          for i = 3, #ARGV, 2 do
            local id = tonumber(ARGV[i])
            if id > wm then
              local seq = redis.call('HINCRBY', KEYS[3], 'last', 1)
              redis.call('XADD', KEYS[2], string.format('%d', seq) .. '-0', 'm', ARGV[i + 1])
              wm = id
              out[#out + 1] = seq
            else
              out[#out + 1] = 0
            end
          end
          redis.call('HSET', KEYS[4], ARGV[1], string.format('%d', wm))
          local live = {}
          local nodes = redis.call('HGETALL', KEYS[6])
          for i = 1, #nodes, 2 do
            if (tonumber(nodes[i + 1]) or 0) > 0 then live[#live + 1] = nodes[i] end
          end
          out[#out + 1] = live
          return out
          """);

  /** Drops finished fan-outs. KEYS: pending hash. ARGV: message ids. */
  static final RedisScript DONE =
      new RedisScript("return redis.call('HDEL', KEYS[1], unpack(ARGV))");

  /**
   * Forgets a conversation in the fan-out index if no send touched it since it was read. KEYS:
   * index. ARGV: member, score read.
   */
  static final RedisScript FORGET =
      new RedisScript(
          """
          local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
          if s and tonumber(s) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
          return 0
          """);

  /** Moves the ack cursor and trims the inbox. KEYS: box, inbox. ARGV: up to. */
  static final RedisScript ACK =
      new RedisScript(
          """
          local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
          local acked = tonumber(redis.call('HGET', KEYS[1], 'acked') or '0')
          local up = tonumber(ARGV[1])
          if last == 0 or up <= acked then return acked end
          if up > last then up = last end
          redis.call('HSET', KEYS[1], 'acked', string.format('%d', up))
          redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d', up + 1))
          return up
          """);

  /** Entries of a stream in a range. KEYS: stream. ARGV: start, end, count. */
  static final RedisScript RANGE =
      new RedisScript(
          "return redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])");

  /** Newest entries first. KEYS: stream. ARGV: end, start, count. */
  static final RedisScript REV_RANGE =
      new RedisScript(
          "return redis.call('XREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])");

  /** Creates an account. KEYS: account. ARGV: id, sec, ns, password hash or ''. 1 or 0. */
  static final RedisScript CREATE_ACCOUNT =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
          redis.call('HSET', KEYS[1], 'id', ARGV[1], 'sec', ARGV[2], 'ns', ARGV[3])
          if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'pw', ARGV[4]) end
          return 1
          """);

  /**
   * Deletes every key of a user. KEYS: account, then the rest of the user's keys, groups index,
   * invitations held and invitations sent among them at 2, 3, 4. Returns 0 if there was no
   * account, else {groups, groups invited to, "group\tinvitee" sent}.
   */
  static final RedisScript DELETE_ACCOUNT =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
          local out = {redis.call('ZRANGE', KEYS[2], 0, -1), redis.call('HKEYS', KEYS[3]),
            redis.call('ZRANGE', KEYS[4], 0, -1)}
          redis.call('DEL', unpack(KEYS))
          return out
          """);

  /** Stores a key bundle. KEYS: account. ARGV: bundle. 0 if no account. */
  static final RedisScript PUT_KEYS =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
          redis.call('HSET', KEYS[1], 'keys', ARGV[1])
          return 1
          """);

  /** A group's meta and members. KEYS: meta, members. {meta pairs, member pairs}. */
  static final RedisScript READ_GROUP =
      new RedisScript(
          "return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}");

  /**
   * Creates a group with its owner. KEYS: meta, members. ARGV: id, sec, ns, open, shared, owner.
   */
  static final RedisScript CREATE_GROUP =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
          redis.call('HSET', KEYS[1], 'id', ARGV[1], 'sec', ARGV[2], 'ns', ARGV[3],
            'open', ARGV[4], 'shared', ARGV[5], 'shared_since', '0', 'join', '1')
          redis.call('HSET', KEYS[2], ARGV[6], 'OWNER\\t0\\t1')
          return 1
          """);

  /**
   * Adds a member. KEYS: meta, members, invites. ARGV: user, role, since (-1 now, -2 shared),
   * max members, key prefix of the group. Returns -1 no group, -2 full, else {added 0/1, inviter
   * of the dropped invitation or ''}.
   */
  static final RedisScript ADD_MEMBER =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          local inv = redis.call('HGET', KEYS[3], ARGV[1])
          local by = ''
          if inv then by = string.sub(inv, 1, string.find(inv, '\\t', 1, true) - 1) end
          if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
            redis.call('HDEL', KEYS[3], ARGV[1])
            return {0, by}
          end
          if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
          redis.call('HDEL', KEYS[3], ARGV[1])
          local since = ARGV[3]
          if since == '-1' then
            since = redis.call('HGET', ARGV[5] .. 'cv:', 'last') or '0'
          elseif since == '-2' then
            since = redis.call('HGET', KEYS[1], 'shared_since') or '0'
          end
          local j = redis.call('HINCRBY', KEYS[1], 'join', 1)
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '\\t' .. since .. '\\t' .. j)
          return {1, by}
          """);

  /**
   * Removes a member; with succession on, a last owner's heir becomes owner (the rule of {@code
   * GroupRecord.successorOf}). The group goes when its last member does. KEYS: meta, members,
   * invites. ARGV: user, succession '1'/'0', key prefix. Returns -1 no group, else {removed 0/1,
   * deleted 0/1, group id, invitation pairs of a deleted group}.
   */
  static final RedisScript REMOVE_MEMBER =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          local m = redis.call('HGET', KEYS[2], ARGV[1])
          local removed = 0
          if m then
            redis.call('HDEL', KEYS[2], ARGV[1])
            removed = 1
          end
          local rank = {MEMBER = 0, ADMIN = 1, OWNER = 2}
          if m and ARGV[2] == '1' and string.sub(m, 1, 6) == 'OWNER\\t' then
            local all = redis.call('HGETALL', KEYS[2])
            local best, bestRank, bestJoin, bestValue = nil, -1, 0, nil
            local other = false
            for i = 1, #all, 2 do
              local v = all[i + 1]
              local t1 = string.find(v, '\\t', 1, true)
              local t2 = string.find(v, '\\t', t1 + 1, true)
              local role = string.sub(v, 1, t1 - 1)
              local joined = tonumber(string.sub(v, t2 + 1))
              if role == 'OWNER' then other = true end
              local r = rank[role]
              if r > bestRank or (r == bestRank and joined < bestJoin) then
                best, bestRank, bestJoin, bestValue = all[i], r, joined, v
              end
            end
            if best and not other then
              local t = string.find(bestValue, '\\t', 1, true)
              redis.call('HSET', KEYS[2], best, 'OWNER' .. string.sub(bestValue, t))
            end
          end
          local id = redis.call('HGET', KEYS[1], 'id')
          if redis.call('HLEN', KEYS[2]) == 0 then
            local invites = redis.call('HGETALL', KEYS[3])
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], ARGV[3] .. 'cv:', ARGV[3] .. 'h:',
              ARGV[3] .. 'fo:')
            return {removed, 1, id, invites}
          end
          return {removed, 0, id, {}}
          """);

  /** Sets a role. KEYS: meta, members. ARGV: user, role. -1 no group, 0 not a member, 1. */
  static final RedisScript SET_ROLE =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          local m = redis.call('HGET', KEYS[2], ARGV[1])
          if not m then return 0 end
          local t = string.find(m, '\\t', 1, true)
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. string.sub(m, t))
          return 1
          """);

  /**
   * Sets the policy; turning shared history on records the newest message id as its floor.
   * KEYS: meta. ARGV: open, shared, key prefix. -1 no group, else 1.
   */
  static final RedisScript SET_POLICY =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          if ARGV[2] == '1' and redis.call('HGET', KEYS[1], 'shared') ~= '1' then
            local last = redis.call('HGET', ARGV[3] .. 'cv:', 'last') or '0'
            redis.call('HSET', KEYS[1], 'shared_since', last)
          end
          redis.call('HSET', KEYS[1], 'open', ARGV[1], 'shared', ARGV[2])
          return 1
          """);

  /**
   * Invites users not already members or invited. KEYS: meta, members, invites. ARGV: max, by,
   * sec, ns, dry run '1'/'0', users... Returns -1 no group, -2 too many, else those invited.
   */
  static final RedisScript INVITE =
      new RedisScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          local fresh, seen = {}, {}
          for i = 6, #ARGV do
            local u = ARGV[i]
            if not seen[u] and redis.call('HEXISTS', KEYS[2], u) == 0
                and redis.call('HEXISTS', KEYS[3], u) == 0 then
              fresh[#fresh + 1] = u
            end
            seen[u] = true
          end
          if redis.call('HLEN', KEYS[2]) + redis.call('HLEN', KEYS[3]) + #fresh > tonumber(ARGV[1]) then
            return -2
          end
          if ARGV[5] == '0' then
            for _, u in ipairs(fresh) do
              redis.call('HSET', KEYS[3], u, ARGV[2] .. '\\t' .. ARGV[3] .. '\\t' .. ARGV[4])
            end
          end
          return fresh
          """);

  /**
   * Drops an invitation, if from {@code by} when given. KEYS: invites. ARGV: invitee, by or ''.
   * Returns the inviter, or '' if there was none.
   */
  static final RedisScript DROP_INVITE =
      new RedisScript(
          """
          local v = redis.call('HGET', KEYS[1], ARGV[1])
          if not v then return '' end
          local by = string.sub(v, 1, string.find(v, '\\t', 1, true) - 1)
          if ARGV[2] ~= '' and by ~= ARGV[2] then return '' end
          redis.call('HDEL', KEYS[1], ARGV[1])
          return by
          """);

  /**
   * Records invitations an inviter sends, within its bound. KEYS: the inviter's sent index.
   * ARGV: most entries, then "group\tinvitee" members. Returns -1 (writing nothing) if the new
   * ones would take the index past the bound, else the members it added.
   */
  static final RedisScript RESERVE_SENT =
      new RedisScript(
          """
          local fresh = {}
          for i = 2, #ARGV do
            if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then fresh[#fresh + 1] = ARGV[i] end
          end
          if redis.call('ZCARD', KEYS[1]) + #fresh > tonumber(ARGV[1]) then return -1 end
          for _, m in ipairs(fresh) do redis.call('ZADD', KEYS[1], 0, m) end
          return fresh
          """);

  /**
   * Records an invitation an invitee holds, within its bounds. KEYS: the invitee's invitations
   * held. ARGV: group, value ("by\tsec\tns"), most held, most from one inviter, inviter.
   * Returns -1 if the invitee holds the most, -2 if the most from this inviter, else 1. An entry
   * for the group already there (left by a crash) is replaced and not counted twice.
   */
  static final RedisScript RESERVE_HELD =
      new RedisScript(
          """
          if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
            local all = redis.call('HVALS', KEYS[1])
            if #all >= tonumber(ARGV[3]) then return -1 end
            local mine, prefix = 0, ARGV[5] .. '\t'
            for _, v in ipairs(all) do
              if string.sub(v, 1, #prefix) == prefix then mine = mine + 1 end
            end
            if mine >= tonumber(ARGV[4]) then return -2 end
          end
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          return 1
          """);

  /** Deletes a hash field if it still holds a value. KEYS: hash. ARGV: field, value. */
  static final RedisScript DROP_IF =
      new RedisScript(
          """
          if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
            return redis.call('HDEL', KEYS[1], ARGV[1])
          end
          return 0
          """);
}
