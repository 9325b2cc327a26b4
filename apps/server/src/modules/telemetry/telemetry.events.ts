import { z } from 'zod';
import { defineEvents } from '../../platform/events/catalogue.ts';

const alarm = z.object({
  alarm: z.looseObject({ id: z.uuid(), ruleId: z.uuid().nullable(), seriesId: z.number().int().nullable(), severity: z.string(), state: z.string(), active: z.boolean(), acknowledged: z.boolean() }),
});

/** Alarms on `alarms`; sampled readings on `telemetry`, `device:<id>` and `operation:<id>`. */
export const telemetryEvents = defineEvents({
  'alarm.raised': { version: 1, description: 'An alert rule’s condition held for its duration: an alarm is active.', payload: alarm },
  'alarm.cleared': { version: 1, description: 'An alarm cleared: its condition stopped holding, or a person cleared it.', payload: alarm },
  'alarm.acknowledged': { version: 1, description: 'A person acknowledged an alarm.', payload: alarm },
  telemetry: {
    version: 1,
    description: 'A series’ latest reading (sampled: at most one event per series per second) with its anomaly score.',
    payload: z.object({
      seriesId: z.number().int(),
      deviceId: z.uuid().nullable(),
      operationId: z.uuid().nullable(),
      metric: z.string(),
      t: z.string(),
      value: z.number(),
      anomaly: z.number(),
    }),
  },
});

export type TelemetryEvents = typeof telemetryEvents;
