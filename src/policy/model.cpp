#include "policy/model.h"
