/** The baseline's activity: takes and returns a small object, like Berth's, and does nothing. */
export function createNoOpActivities() {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- an activity is async by contract
    async noOp(input: { siteId: string; step: number }): Promise<{ step: number }> {
      return { step: input.step };
    },
  };
}

export type NoOpActivities = ReturnType<typeof createNoOpActivities>;
