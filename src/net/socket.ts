/**
 * Socket: a stream.Duplex over one StackConnection, shaped like net.Socket.
 *
 * Flow control is the TCP engine's own: bytes the engine delivers are pushed
 * into the readable side and reported consumed() only while push() says the
 * reader wants more; a paused reader leaves them unconsumed, the engine's
 * receive buffer fills and the advertised window closes to zero, so the peer
 * stops. _read() (the reader wants more) consumes what was held back and the
 * window opens. On the writable side, _write() completes only once the engine
 * has taken every byte: a full send buffer keeps the callback pending until
 * the engine's 'writable' event, so write() returns false and 'drain' follows
 * exactly when the engine has room.
 */
import { Duplex } from 'node:stream';
import type { StackConnection } from '../stack/stack-connection.js';
import type { CloseReason } from '../tcp/events.js';
import { codedError, systemError } from './errors.js';

export interface SocketOptions {
  /** Keep our side open after the peer's FIN (default false: end ours once the peer ends, after flushing). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

/** @internal what a Socket needs from whoever made it (server or connect()). */
export interface SocketOwner {
  /** The socket is gone (after 'close'). */
  socketClosed(socket: Socket): void;
  setRef?(socket: Socket, ref: boolean): void;
}

type WriteCallback = (error?: Error | null) => void;

export class Socket extends Duplex {
  /** Always 'IPv4' (synwall is IPv4 only). */
  readonly remoteFamily = 'IPv4';
  /** Set by the Server that accepted this socket (http sets it to the http.Server). */
  server: object | undefined;
  /** true from connect() until ESTABLISHED (or failure). */
  connecting = false;
  /** @internal */
  conn: StackConnection | undefined;
  private owner: SocketOwner | undefined;
  private heldBack = 0;
  private rest: { buf: Buffer; cb: WriteCallback; owned: boolean } | undefined;
  private engineClosed = false;
  private resetOnDestroy = false;
  /** An error waiting for the next write (RST after the peer's FIN: EPIPE, as Linux). */
  private pendingError: Error | undefined;
  private peerEnded = false;
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  private read_ = 0;
  private written = 0;
  private connectTarget: { address: string; port: number } | undefined;
  private everConnected = false;
  private noDelayWanted: boolean | undefined;
  private keepAliveWanted: { enable: boolean; delay: number } | undefined;

  constructor(options: SocketOptions = {}) {
    const allowHalfOpen = options.allowHalfOpen ?? false;
    super({
      allowHalfOpen,
      emitClose: false, // 'close' carries hadError, as net's does
      decodeStrings: true,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
    });
    this.on('end', this.onReadableEnd);
  }

  // ------------------------------------------------------------ wiring (internal)

  /** @internal bind to a connection: an accepted one (connected) or an active open (connecting). */
  attachConnection(sc: StackConnection, owner: SocketOwner, connecting: boolean): void {
    this.conn = sc;
    this.owner = owner;
    this.connecting = connecting;
    this.everConnected = !connecting;
    if (connecting) this.connectTarget = { address: sc.remoteAddress, port: sc.remotePort };
    sc.on('data', this.onData);
    sc.on('end', this.onPeerEnd);
    sc.on('writable', this.onWritable);
    sc.on('close', this.onEngineClose);
    sc.on('connect', this.onConnect);
    if (this.noDelayWanted !== undefined) this.setNoDelay(this.noDelayWanted);
    if (this.keepAliveWanted) this.setKeepAlive(this.keepAliveWanted.enable, this.keepAliveWanted.delay);
  }

  /** @internal the connection could not even start (engine or option error): fail like net, asynchronously. */
  failBeforeConnect(err: Error, owner: SocketOwner): void {
    this.owner = owner;
    this.connecting = false;
    process.nextTick(() => this.destroy(err));
  }

  /** @internal has this socket ever been ESTABLISHED? */
  get wasEstablished(): boolean {
    return this.everConnected;
  }

  private readonly onConnect = (): void => {
    this.connecting = false;
    this.everConnected = true;
    this._unrefTimer();
    this.emit('connect');
    this.emit('ready');
  };

  private readonly onData = (buf: Buffer): void => {
    if (this.destroyed) return;
    this.read_ += buf.length;
    this._unrefTimer();
    if (this.push(buf)) {
      const n = this.heldBack + buf.length;
      this.heldBack = 0;
      this.conn?.consumed(n);
    } else {
      // The reader is full: keep the bytes unconsumed, the window shrinks.
      this.heldBack += buf.length;
    }
  };

  private readonly onPeerEnd = (): void => {
    this.peerEnded = true;
    if (!this.destroyed) this.push(null);
  };

  private readonly onWritable = (): void => {
    const r = this.rest;
    if (!r) return;
    this.rest = undefined;
    this.writeOrWait(r.buf, r.cb, r.owned);
  };

  private readonly onEngineClose = (reason: CloseReason): void => {
    this.engineClosed = true;
    this.connecting = false;
    if (this.destroyed) return;
    switch (reason) {
      case 'normal':
        // Both FINs exchanged. If the stream has not finished by itself yet
        // (a reader that has not taken the end), it will; nothing to report.
        if (this.writableFinished && this.readableEnded) this.destroy();
        return;
      case 'ECONNRESET':
        if (this.peerEnded) {
          // RST in CLOSE_WAIT: Linux reports EPIPE to the next write.
          const err = systemError('EPIPE', 'write');
          if (this.rest || this.writableLength > 0) this.destroy(err);
          else if (this.writableEnded) this.destroy();
          else this.pendingError = err;
          return;
        }
        this.destroy(systemError('ECONNRESET', 'read'));
        return;
      case 'ECONNREFUSED': {
        const t = this.connectTarget;
        this.destroy(systemError('ECONNREFUSED', 'connect', t?.address, t?.port));
        return;
      }
      case 'ETIMEDOUT':
        if (!this.everConnected) {
          const t = this.connectTarget;
          this.destroy(systemError('ETIMEDOUT', 'connect', t?.address, t?.port));
        } else this.destroy(systemError('ETIMEDOUT', 'read'));
        return;
      case 'aborted':
        // Reset from our side without the socket asking (the engine was shut down).
        this.destroy(systemError('ECONNABORTED', 'read'));
        return;
      default: {
        // Reasons a newer stack may add (e.g. an unresolved next hop).
        const code: string = reason;
        const t = this.connectTarget;
        this.destroy(this.everConnected ? systemError(code, 'read') : systemError(code, 'connect', t?.address, t?.port));
      }
    }
  };

  private readonly onReadableEnd = (): void => {
    // net: once the peer has ended and we are not half-open, a write after
    // our own end is EPIPE "This socket has been ended by the other party".
    if (!this.allowHalfOpen) this.writeAfterFin = true;
  };

  private writeAfterFin = false;

  // ------------------------------------------------------------ Duplex

  override _read(): void {
    if (this.heldBack > 0 && this.conn && !this.engineClosed) {
      const n = this.heldBack;
      this.heldBack = 0;
      this.conn.consumed(n);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    this.writeChunk(chunk, cb, false);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: WriteCallback): void {
    // Buffer.concat makes a copy nobody else holds: the send buffer keeps it as is.
    if (chunks.length === 1) this.writeChunk(chunks[0].chunk, cb, false);
    else this.writeChunk(Buffer.concat(chunks.map((c) => c.chunk)), cb, true);
  }

  private writeChunk(buf: Buffer, cb: WriteCallback, owned: boolean): void {
    if (this.pendingError) {
      const e = this.pendingError;
      this.pendingError = undefined;
      cb(e);
      return;
    }
    this._unrefTimer();
    this.writeOrWait(buf, cb, owned);
  }

  /** `owned`: buf is our own copy, so the send buffer need not copy it again. */
  private writeOrWait(buf: Buffer, cb: WriteCallback, owned: boolean): void {
    const sc = this.conn;
    if (!sc || this.engineClosed) {
      cb(systemError('EPIPE', 'write'));
      return;
    }
    let n: number;
    try {
      n = sc.write(buf, owned);
    } catch {
      cb(systemError('EPIPE', 'write'));
      return;
    }
    this.written += n;
    if (n === buf.length) cb();
    else this.rest = { buf: buf.subarray(n), cb, owned };
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (this.pendingError) {
      // Nothing of ours is lost (no data waits); the connection is gone.
      this.pendingError = undefined;
      cb();
      return;
    }
    if (this.conn && !this.engineClosed) this.conn.shutdown();
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.rest = undefined;
    const sc = this.conn;
    if (sc && !this.engineClosed) {
      // What the reader was handed is read as far as TCP is concerned: close()
      // then sends FIN, not the RST of a close with unread data.
      if (this.heldBack > 0) sc.consumed(this.heldBack);
      this.heldBack = 0;
      if (this.resetOnDestroy) sc.abort();
      else sc.close();
    }
    this.connecting = false;
    cb(err);
    process.nextTick(() => {
      this.emit('close', err != null);
      this.owner?.socketClosed(this);
    });
  }

  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
    if (this.writeAfterFin && this.writableEnded) {
      const done = typeof encoding === 'function' ? encoding : cb;
      const err = codedError('EPIPE', 'This socket has been ended by the other party');
      if (done) process.nextTick(done, err);
      this.destroy(err);
      return false;
    }
    return super.write(chunk, encoding as BufferEncoding, cb);
  }

  // ------------------------------------------------------------ net.Socket API

  /** Send RST and destroy (net.Socket.resetAndDestroy). */
  resetAndDestroy(): this {
    if (this.conn && !this.engineClosed) this.resetOnDestroy = true;
    this.destroy();
    return this;
  }

  /** End, then destroy once everything is written (http uses it). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /**
   * Emit 'timeout' after `ms` without activity (data in or out); the socket
   * stays open (end or destroy it yourself). 0 turns it off.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`msecs must be a non-negative number, got ${String(ms)}`);
    }
    this.timeoutMs = ms;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === 0) {
      if (callback) this.removeListener('timeout', callback);
      return this;
    }
    if (!this.destroyed) {
      this.timer = setTimeout(() => this.emit('timeout'), ms);
      this.timer.unref();
    }
    if (callback) this.once('timeout', callback);
    return this;
  }

  get timeout(): number | undefined {
    return this.timeoutMs > 0 ? this.timeoutMs : undefined;
  }

  /** @internal activity: restart the idle timer (the name http calls). */
  _unrefTimer(): void {
    this.timer?.refresh();
  }

  setNoDelay(noDelay = true): this {
    const v = Boolean(noDelay);
    if (this.conn && !this.engineClosed) this.conn.setNoDelay(v);
    else this.noDelayWanted = v;
    return this;
  }

  /** `initialDelay` ms of idleness before the first probe (0: the engine's keepAliveIdle). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const delay = Math.max(0, Math.floor(Number(initialDelay) || 0));
    if (this.conn && !this.engineClosed) this.conn.setKeepAlive(Boolean(enable), delay > 0 ? delay : undefined);
    else this.keepAliveWanted = { enable: Boolean(enable), delay };
    return this;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    const sc = this.conn;
    return sc ? { address: sc.localAddress, family: 'IPv4', port: sc.localPort } : {};
  }

  get remoteAddress(): string | undefined {
    return this.conn?.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.conn?.remotePort;
  }

  get localAddress(): string | undefined {
    return this.conn?.localAddress;
  }

  get localPort(): number | undefined {
    return this.conn?.localPort;
  }

  get localFamily(): string {
    return 'IPv4';
  }

  /** Bytes received from the peer. */
  get bytesRead(): number {
    return this.read_;
  }

  /** Bytes the TCP engine has taken (queued or sent); bytes still in the stream's own buffer are not counted. */
  get bytesWritten(): number {
    return this.written;
  }

  /** true until the connection is established (net's `pending`). */
  get pending(): boolean {
    return !this.conn || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  ref(): this {
    this.owner?.setRef?.(this, true);
    return this;
  }

  unref(): this {
    this.owner?.setRef?.(this, false);
    return this;
  }
}
