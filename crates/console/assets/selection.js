// The users chosen for a bulk change, kept while the console moves between screens:
// either users picked by hand (their IDs) or "every user that matches this search".

export const selection = {
  /** User IDs picked by hand. */
  ids: new Set(),
  /** A search body: every user it matches; set instead of `ids`. */
  query: null,
  /** How many users `query` matched when it was chosen. */
  total: 0,

  size() {
    return this.query ? this.total : this.ids.size;
  },
  clear() {
    this.ids.clear();
    this.query = null;
    this.total = 0;
  },
  matching(query, total) {
    this.ids.clear();
    this.query = query;
    this.total = total;
  },
};
