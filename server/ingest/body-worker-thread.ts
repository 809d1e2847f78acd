/**
 * The ingest worker itself (a node:worker_threads thread, started by body-worker.ts): parses and
 * checks request bodies, so the main thread keeps the engine and the store. Answers in the order
 * asked. The valid events go back as one JSON string: the main thread reads it with a single
 * JSON.parse, which costs less than the structured clone of the same objects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from '../errors.ts';
import { checkBody } from './batch-check.ts';
import type { BodyWorkerData, BodyWorkerReply, BodyWorkerRequest } from './body-worker.ts';
import { Pseudonymizer } from './pseudonymize.ts';

const port = parentPort!;
const settings = workerData as BodyWorkerData;
const rules = { maxFutureSkewSec: settings.maxFutureSkewSec, pseudonymizer: new Pseudonymizer(settings.pseudonymKey, settings.centreCountry) };

port.on('message', ({ id, bytes, nowMs }: BodyWorkerRequest) => {
  let reply: BodyWorkerReply;
  try {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const { events, rejected } = checkBody(body, rules, nowMs);
    reply = { id, eventsJson: JSON.stringify(events), rejected };
  } catch (error) {
    // A 400 is an answer like any other; anything else the main thread redoes itself, so it
    // fails there exactly as it would have without a worker.
    reply = error instanceof HttpError ? { id, refused: { status: error.status, message: error.message } } : { id, failed: true };
  }
  port.postMessage(reply);
});

port.postMessage({ ready: true } satisfies BodyWorkerReply);
